package einc.codegen.llvm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The base-2 functions of {@link VectorMath} on this machine (AVX-512 when it has it), lane by lane
 * against {@code double} math: {@code exp2neg} is accurate and never subnormal (0 below -126 and
 * for -inf), {@code sp2} is {@code log2(1 + 2^y)} to a relative 1e-6 over the whole range.
 */
class VectorMathTest {

    private static final float[] ARGS = args();

    private static float[] args() {
        float[] x = new float[16 * 40];
        for (int i = 0; i < x.length; i++) x[i] = -140f + 280f * i / (x.length - 1);
        x[0] = Float.NEGATIVE_INFINITY;
        x[1] = -126.0001f;
        x[2] = -126f;
        x[3] = -125.9999f;
        x[4] = -149.5f;
        x[5] = -0f;
        x[6] = 1e-7f;
        x[7] = -1e-7f;
        return x;
    }

    /** Runs {@code fn} (a {@code <16 x float>} function of the module's math) on {@link #ARGS}. */
    private static float[] apply(String fn) {
        boolean avx512 = Toolchain.features().contains("+avx512f");
        String attrs = "\"target-cpu\"=\"" + Toolchain.cpu() + "\" \"target-features\"=\"" + Toolchain.features() + "\"";
        String avx = """
                declare <16 x float> @llvm.x86.avx512.mask.scalef.ps.512(<16 x float>, <16 x float>, <16 x float>, i16, i32)
                declare <16 x float> @llvm.x86.avx512.rcp14.ps.512(<16 x float>, <16 x float>, i16)
                """;
        String symbol = "einc_vmtest_" + fn.replace('.', '_') + (avx512 ? "" : "_portable");
        String text = VectorMath.DECLARATIONS + (avx512 ? avx : "") + VectorMath.EXP
                + (avx512 ? VectorMath.EXP2_NEG_AVX512 : VectorMath.EXP2_NEG_PORTABLE) + VectorMath.SOFTPLUS2
                + "define void @" + symbol + "(ptr %in, ptr %out, i64 %n) #0 {\n"
                + "entry:\n  br label %loop\nloop:\n  %i = phi i64 [0, %entry], [%i1, %loop]\n"
                + "  %a = getelementptr float, ptr %in, i64 %i\n  %x = load <16 x float>, ptr %a, align 4\n"
                + "  %y = call <16 x float> @" + fn + "(<16 x float> %x)\n"
                + "  %b = getelementptr float, ptr %out, i64 %i\n  store <16 x float> %y, ptr %b, align 4\n"
                + "  %i1 = add i64 %i, 16\n  %more = icmp slt i64 %i1, %n\n  br i1 %more, label %loop, label %done\n"
                + "done:\n  ret void\n}\nattributes #0 = { nounwind " + attrs + " }\n";
        MemorySegment f = Jit.add(text, symbol, List.of(symbol)).find(symbol).orElseThrow();
        MethodHandle h = Linker.nativeLinker().downcallHandle(f, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_FLOAT, ARGS);
            MemorySegment out = arena.allocate(ValueLayout.JAVA_FLOAT, ARGS.length);
            h.invokeExact(in, out, (long) ARGS.length);
            return out.toArray(ValueLayout.JAVA_FLOAT);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void exp2OfNonPositiveArgumentsIsAccurateAndNeverSubnormal() {
        float[] got = apply("einc.exp2neg.v16");
        int checked = 0;
        for (int i = 0; i < ARGS.length; i++) {
            float x = ARGS[i];
            if (x > 0) continue;
            float y = got[i];
            assertTrue(y == 0 || y >= Float.MIN_NORMAL, "exp2(" + x + ") = " + y + " is subnormal");
            if (x < -126) {
                assertEquals(0f, y, "exp2(" + x + ")");
            } else {
                double want = Math.pow(2, x);
                assertTrue(Math.abs(y / want - 1) < 5e-7, "exp2(" + x + ") = " + y + ", want " + want);
                checked++;
            }
        }
        assertTrue(checked > 200);
    }

    @Test
    void softplusInBase2IsAccurateOverTheWholeRange() {
        float[] got = apply("einc.sp2.v16");
        for (int i = 0; i < ARGS.length; i++) {
            float y = ARGS[i];
            double want = Math.log1p(Math.pow(2, y)) / Math.log(2);
            if (y < -126) {
                assertTrue(got[i] >= 0 && got[i] <= want * (1 + 1e-6) + Float.MIN_NORMAL, "sp2(" + y + ") = " + got[i] + ", want " + want);
                continue;
            }
            assertTrue(Math.abs(got[i] / want - 1) < 1e-6, "sp2(" + y + ") = " + got[i] + ", want " + want);
        }
    }
}
