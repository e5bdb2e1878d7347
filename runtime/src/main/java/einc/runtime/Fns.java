package einc.runtime;

/** Scalar functions of the language that the JDK does not have, called by generated code. */
public final class Fns {

    private Fns() {}

    public static float sigmoid(float v) {
        double x = v;
        return (float) (x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x)));
    }

    public static float softplus(float v) {
        double x = v;
        return (float) (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
    }

    public static float elu(float v) {
        return v > 0 ? v : (float) Math.expm1(v);
    }

    public static float rsqrt(float v) {
        return (float) (1.0 / Math.sqrt(v));
    }

    public static float pow(float a, float b) {
        return (float) Math.pow(a, b);
    }

    /** Floor division as the language defines it: by 0 gives 0. */
    public static int floorDiv(int a, int b) {
        return b == 0 ? 0 : Math.floorDiv(a, b);
    }

    /** Floor modulo as the language defines it: by 0 gives 0. */
    public static int floorMod(int a, int b) {
        return b == 0 ? 0 : Math.floorMod(a, b);
    }
}
