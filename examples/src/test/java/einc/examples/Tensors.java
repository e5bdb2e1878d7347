package einc.examples;

import einc.ir.Dense;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded random nested arrays and their conversion to {@link Dense}. */
final class Tensors {

    private Tensors() {}

    /** A [b][h][rows][cols] array of standard normal values. */
    static double[][][][] normal(Random rng, int b, int h, int rows, int cols) {
        double[][][][] x = new double[b][h][rows][cols];
        for (double[][][] xb : x) for (double[][] xh : xb) for (double[] row : xh)
            for (int i = 0; i < cols; i++) row[i] = rng.nextGaussian();
        return x;
    }

    /** A nested double array of any depth as a row-major Dense (all rows of a level have one length). */
    static Dense dense(Object nested) {
        List<Integer> shape = new ArrayList<>();
        Object level = nested;
        while (level.getClass().isArray() && !(level instanceof double[])) {
            shape.add(Array.getLength(level));
            level = Array.getLength(level) == 0 ? new double[0] : Array.get(level, 0);
        }
        shape.add(((double[]) level).length);
        int[] dims = shape.stream().mapToInt(Integer::intValue).toArray();
        List<Double> flat = new ArrayList<>();
        flatten(nested, flat);
        return new Dense(dims, flat.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static void flatten(Object nested, List<Double> out) {
        if (nested instanceof double[] row) {
            for (double d : row) out.add(d);
            return;
        }
        for (int i = 0; i < Array.getLength(nested); i++) flatten(Array.get(nested, i), out);
    }
}
