package einc.codegen.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The innermost loops of the generic path over contiguous rows (dot product, sum, max, scaled
 * add), with the Vector API when its module is present and plain loops otherwise. {@link
 * GenericEmitter} copies these methods into every generic class, so a kernel needs the runtime
 * only. Vectors are passed as {@code (Vector<Float>) (Object) v}: the cast makes the verifier
 * see the parameter type exactly, so a class holding these methods loads (and runs the plain
 * loops) in a JVM without the module.
 */
@SuppressWarnings("unchecked")
final class RowKernels {

    static final boolean VEC = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    static final VectorSpecies<Float> SPECIES = VEC ? FloatVector.SPECIES_PREFERRED : null;

    private RowKernels() {}

    /** {@code sum_i a[ao + i] * b[bo + i]}, i below n. */
    static float rowDot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float s = 0f;
        if (VEC) {
            int vl = SPECIES.length();
            FloatVector acc0 = FloatVector.zero(SPECIES), acc1 = FloatVector.zero(SPECIES);
            for (; i <= n - 2 * vl; i += 2 * vl) {
                acc0 = FloatVector.fromArray(SPECIES, a, ao + i)
                        .fma((Vector<Float>) (Object) FloatVector.fromArray(SPECIES, b, bo + i), (Vector<Float>) (Object) acc0);
                acc1 = FloatVector.fromArray(SPECIES, a, ao + i + vl)
                        .fma((Vector<Float>) (Object) FloatVector.fromArray(SPECIES, b, bo + i + vl), (Vector<Float>) (Object) acc1);
            }
            for (; i <= n - vl; i += vl)
                acc0 = FloatVector.fromArray(SPECIES, a, ao + i)
                        .fma((Vector<Float>) (Object) FloatVector.fromArray(SPECIES, b, bo + i), (Vector<Float>) (Object) acc0);
            s = acc0.add((Vector<Float>) (Object) acc1).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** {@code sum_i a[ao + i]}, i below n. */
    static float rowSum(float[] a, int ao, int n) {
        int i = 0;
        float s = 0f;
        if (VEC) {
            int vl = SPECIES.length();
            FloatVector acc = FloatVector.zero(SPECIES);
            for (; i <= n - vl; i += vl) acc = acc.add((Vector<Float>) (Object) FloatVector.fromArray(SPECIES, a, ao + i));
            s = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) s += a[ao + i];
        return s;
    }

    /** {@code max_i a[ao + i]} (negative infinity for n = 0), i below n. */
    static float rowMax(float[] a, int ao, int n) {
        int i = 0;
        float s = Float.NEGATIVE_INFINITY;
        if (VEC) {
            int vl = SPECIES.length();
            FloatVector acc = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            for (; i <= n - vl; i += vl) acc = acc.max((Vector<Float>) (Object) FloatVector.fromArray(SPECIES, a, ao + i));
            s = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) s = Math.max(s, a[ao + i]);
        return s;
    }

    /** {@code y[yo + i] += s * x[xo + i]}, i below n. */
    static void rowAxpy(float s, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        if (VEC) {
            int vl = SPECIES.length();
            FloatVector vs = FloatVector.broadcast(SPECIES, s);
            for (; i <= n - vl; i += vl)
                FloatVector.fromArray(SPECIES, x, xo + i)
                        .fma((Vector<Float>) (Object) vs, (Vector<Float>) (Object) FloatVector.fromArray(SPECIES, y, yo + i))
                        .intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += s * x[xo + i];
    }

    /** {@code y[yo + i] = v}, i below n. */
    static void rowFill(float v, float[] y, int yo, int n) {
        java.util.Arrays.fill(y, yo, yo + n, v);
    }
}
