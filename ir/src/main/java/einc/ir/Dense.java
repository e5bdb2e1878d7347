package einc.ir;

import java.util.Arrays;

/** A dense row-major float64 array with its shape: how the reference interpreter takes and gives tensors. */
public record Dense(int[] shape, double[] data) {

    public Dense {
        long n = 1;
        for (int d : shape) n *= d;
        if (n != data.length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " elements, data has " + data.length);
    }

    public static Dense zeros(int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return new Dense(shape.clone(), new double[Math.toIntExact(n)]);
    }

    public int rank() {
        return shape.length;
    }

    /** The flat offset of a full index. */
    public int offset(int... index) {
        int off = 0;
        for (int i = 0; i < shape.length; i++) off = off * shape[i] + index[i];
        return off;
    }

    public double get(int... index) {
        return data[offset(index)];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Dense d && Arrays.equals(shape, d.shape) && Arrays.equals(data, d.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Dense" + Arrays.toString(shape);
    }
}
