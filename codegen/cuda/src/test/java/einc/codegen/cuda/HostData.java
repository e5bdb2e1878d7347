package einc.codegen.cuda;

import einc.runtime.cuda.CudaPlan;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Host arrays in the element types of a CUDA plan: rounding, encoding to little-endian bytes and back. */
final class HostData {

    private HostData() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static short toBf16(float f) {
        int b = Float.floatToRawIntBits(f);
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }

    static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }

    /** {@code v} rounded to what type {@code t} can hold. */
    static double round(CudaPlan.Type t, double v) {
        return switch (t) {
            case F64 -> v;
            case F32 -> (float) v;
            case BF16 -> fromBf16(toBf16((float) v));
            case F16 -> Float.float16ToFloat(Float.floatToFloat16((float) v));
        };
    }

    static double[] random(Random rnd, long n, CudaPlan.Type t) {
        double[] out = new double[Math.toIntExact(n)];
        for (int i = 0; i < out.length; i++) out[i] = round(t, rnd.nextGaussian());
        return out;
    }

    static MemorySegment encode(CudaPlan.Type t, double[] v) {
        MemorySegment s = MemorySegment.ofArray(new byte[v.length * t.bytes]);
        for (int i = 0; i < v.length; i++) {
            switch (t) {
                case F32 -> s.setAtIndex(F32, i, (float) v[i]);
                case F64 -> s.setAtIndex(F64, i, v[i]);
                case BF16 -> s.setAtIndex(S16, i, toBf16((float) v[i]));
                case F16 -> s.setAtIndex(S16, i, Float.floatToFloat16((float) v[i]));
            }
        }
        return s;
    }

    static double[] decode(CudaPlan.Type t, MemorySegment s) {
        double[] out = new double[(int) (s.byteSize() / t.bytes)];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (t) {
                case F32 -> s.getAtIndex(F32, i);
                case F64 -> s.getAtIndex(F64, i);
                case BF16 -> fromBf16(s.getAtIndex(S16, i));
                case F16 -> Float.float16ToFloat(s.getAtIndex(S16, i));
            };
        }
        return out;
    }

    /**
     * The relative L2 error ({@code Errors.relativeL2}) over the entries where {@code ref} is a
     * number, NaN unless {@code out} is NaN exactly where {@code ref} is (a row the mask empties under
     * a deferred division, 0 / 0). Only for outputs filled with a finite sentinel before the run: the
     * NaN poison would pass as written.
     */
    static double relativeErrorNaNsMatched(double[] out, double[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < out.length; i++) {
            if (Double.isNaN(ref[i]) != Double.isNaN(out[i])) return Double.NaN;
            if (Double.isNaN(ref[i])) continue;
            double d = out[i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }
}
