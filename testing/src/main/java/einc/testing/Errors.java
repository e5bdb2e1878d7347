package einc.testing;

/** The relative L2 error by which the tests compare a kernel's outputs with the reference interpreter's. */
public final class Errors {

    private Errors() {}

    /** {@code |got - want|_2 / |want|_2}, the absolute error when want is 0; a NaN anywhere gives NaN. */
    public static double relativeL2(double[] got, double[] want) {
        if (got.length != want.length) throw new IllegalArgumentException("lengths differ: " + got.length + " and " + want.length);
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /**
     * {@link #relativeL2} over the finite entries: entries NaN on both sides, or the same infinity,
     * are left out; a NaN or an infinity on one side only makes the error infinite.
     */
    public static double relativeL2Finite(double[] got, double[] want) {
        if (got.length != want.length) throw new IllegalArgumentException("lengths differ: " + got.length + " and " + want.length);
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            if (Double.isNaN(got[i]) || Double.isNaN(want[i])) {
                if (Double.isNaN(got[i]) != Double.isNaN(want[i])) return Double.POSITIVE_INFINITY;
                continue;
            }
            if (Double.isInfinite(got[i]) || Double.isInfinite(want[i])) {
                if (got[i] != want[i]) return Double.POSITIVE_INFINITY;
                continue;
            }
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /**
     * Fails unless {@code got} agrees with the reference {@code want}: NaN exactly where the
     * reference is NaN (an entry left NaN elsewhere was not written: outputs are poisoned with NaN
     * before a run), the same infinities, and the finite entries within {@code tolerance}
     * ({@link #relativeL2Finite}). {@code what} names the output in the message.
     */
    public static void assertAgrees(String what, double[] got, double[] want, double tolerance) {
        if (got.length != want.length) throw new AssertionError(what + ": " + got.length + " entries, want " + want.length);
        for (int i = 0; i < want.length; i++) {
            if (Double.isNaN(want[i]) && !Double.isNaN(got[i])) throw new AssertionError(what + "[" + i + "]: want NaN, got " + got[i]);
            if (!Double.isNaN(want[i]) && Double.isNaN(got[i])) throw new AssertionError(what + "[" + i + "] not written or NaN (want " + want[i] + ")");
            if (Double.isInfinite(want[i]) && got[i] != want[i]) throw new AssertionError(what + "[" + i + "]: want " + want[i] + ", got " + got[i]);
        }
        double err = relativeL2Finite(got, want);
        if (!(err < tolerance)) throw new AssertionError(what + ": relative L2 error " + err);
    }
}
