package einc.codegen.llvm;

import einc.ir.Cascade;
import einc.ir.Dense;
import einc.runtime.NativeKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused attention kernel: every attention-shaped example takes it (and the others do not),
 * and it agrees with the reference interpreter on shapes that leave ragged query tiles, key tiles,
 * head dimensions and output column chunks, with outputs poisoned first and two threads.
 */
class FusedAttentionTest {

    /** The examples the fused kernel must take. */
    static final List<String> FUSED = List.of(
            "attention/softmax.ein", "attention/causal.ein", "attention/sliding_window.ein", "attention/sinks_window.ein",
            "attention/alibi.ein", "attention/softcap.ein", "attention/gqa.ein", "attention/mqa.ein", "attention/sigmoid.ein",
            "attention/relu.ein", "attention/softplus_l1.ein", "fusemax/cascade4.ein", "fusemax/cascade5.ein");

    /** b, h, g, p, m, e, f: ragged everywhere, one row and one key, more rows than keys, two query tiles, a column tail. */
    static final List<Map<String, Integer>> SHAPES = List.of(
            Map.of("b", 1, "h", 2, "g", 1, "p", 70, "m", 93, "e", 40, "f", 24),
            Map.of("b", 1, "h", 1, "g", 1, "p", 1, "m", 1, "e", 1, "f", 1),
            Map.of("b", 2, "h", 2, "g", 2, "p", 33, "m", 17, "e", 7, "f", 5),
            Map.of("b", 1, "h", 4, "g", 2, "p", 130, "m", 200, "e", 64, "f", 80));

    private static final Map<String, NativeKernel> KERNELS = new ConcurrentHashMap<>();

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String f : FUSED)
            for (int s = 0; s < SHAPES.size(); s++) out.add(Arguments.of(f, s));
        return out;
    }

    private static Cascade cascade(String file) {
        return Examples.compile(Examples.root().resolve(file)).getFirst();
    }

    @Test
    void attentionShapedExamplesTakeTheFusedKernel() {
        for (String f : FUSED) {
            Cascade c = cascade(f);
            assertEquals("fused", LlvmBackend.variant(c), f);
            assertTrue(LlvmBackend.ir(c, false).contains("fused attention kernel"), f);
        }
    }

    @Test
    void otherCascadesSayWhyTheyAreGeneric() {
        for (String f : List.of("attention/linear.ein", "attention/linear_causal.ein", "attention/differential.ein")) {
            String v = LlvmBackend.variant(cascade(f));
            assertTrue(v.startsWith("generic (") && v.length() > "generic ()".length(), f + ": " + v);
        }
    }

    @ParameterizedTest(name = "{0} shape {1}")
    @MethodSource("cases")
    void agreesWithInterpreter(String file, int shapeIndex) {
        Cascade c = cascade(file);
        check(c, KERNELS.computeIfAbsent(file, key -> LlvmBackend.jit(c)), file, shapeIndex);
    }

    /** The math for targets without AVX-512 (general exp, divisions), compiled for this machine with AVX-512 turned off. */
    @ParameterizedTest(name = "{0} without avx512")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"attention/softmax.ein", "attention/softcap.ein", "attention/sigmoid.ein",
            "attention/softplus_l1.ein", "attention/sinks_window.ein"})
    void portableMathAgreesWithInterpreter(String file) {
        Cascade c = cascade(file);
        String symbol = ModuleEmitter.symbol(c) + "_portable";
        var tm = Toolchain.hostMachine();
        String text;
        try {
            text = ModuleEmitter.emit(c, symbol, Toolchain.triple(), Toolchain.dataLayout(tm), Toolchain.cpu(),
                    Toolchain.features().replace("+avx512f", "-avx512f"));
        } finally {
            org.bytedeco.llvm.global.LLVM.LLVMDisposeTargetMachine(tm);
        }
        assertFalse(text.contains("scalef"), "the portable module uses an avx-512 intrinsic");
        var lookup = Jit.add(text, c.name(), List.of(symbol, symbol + "_extents", symbol + "_params", symbol + "_tasks"));
        check(c, new NativeKernel(LlvmBackend.manifest(c, symbol, null), lookup), file, 0);
    }

    /** Softplus weights whose argument is not the plain score (log2 e multiplied per element), scores spread over about +-15. */
    static final String SOFTPLUS_SHIFTED = """
            cascade softplus_shifted {
              batch  b, h
              input  Q[p, e], K[m, e], V[m, f]
              output AV[p, f]
              param  scale = 4 / sqrt(E)
              QK[m, p] = scale * Q[p, e] * K[m, e]
              SP[m, p] = softplus(QK[m, p] - 3)
              SD[p]    = SP[m, p]
              A[m, p]  = SP[m, p] / SD[p]
              AV[p, f] = A[m, p] * V[m, f]
            }
            """;

    /** Softplus weights without a normalization: the base-2 form would be off by ln 2, so it must not be taken. */
    static final String SOFTPLUS_UNNORMALIZED = """
            cascade softplus_unnormalized {
              batch  b, h
              input  Q[p, e], K[m, e], V[m, f]
              output AV[p, f]
              param  scale = 1 / sqrt(E)
              QK[m, p] = scale * Q[p, e] * K[m, e]
              A[m, p]  = softplus(QK[m, p]) / M
              AV[p, f] = A[m, p] * V[m, f]
            }
            """;

    private static Cascade inline(String text) {
        return einc.frontend.Frontend.compile(new einc.ir.Source("inline.ein", text)).getFirst();
    }

    @Test
    void softplusUnderL1TakesTheBase2WeightsAndOnlyThen() {
        assertTrue(LlvmBackend.ir(cascade("attention/softplus_l1.ein"), false).contains("call <16 x float> @einc.sp2.v16("));
        assertTrue(LlvmBackend.ir(inline(SOFTPLUS_SHIFTED), false).contains("call <16 x float> @einc.sp2.v16("));
        Cascade plain = inline(SOFTPLUS_UNNORMALIZED);
        assertEquals("fused", LlvmBackend.variant(plain));
        assertFalse(LlvmBackend.ir(plain, false).contains("call <16 x float> @einc.sp2.v16("));
        assertTrue(LlvmBackend.ir(cascade("attention/softmax.ein"), false).contains("call <16 x float> @einc.exp2neg.v16("));
        assertFalse(LlvmBackend.ir(cascade("attention/softcap.ein"), false).contains("call <16 x float> @einc.exp2neg.v16("));
    }

    @ParameterizedTest(name = "shape {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 2, 3})
    void softplusVariantsAgreeWithInterpreter(int shapeIndex) {
        for (String text : List.of(SOFTPLUS_SHIFTED, SOFTPLUS_UNNORMALIZED)) {
            Cascade c = inline(text);
            check(c, KERNELS.computeIfAbsent(c.name(), key -> LlvmBackend.jit(c)), c.name(), SHAPES.get(shapeIndex), shapeIndex);
        }
    }

    /** D=128 with an output width that is no multiple of the vector width (a masked column tail after the chunks), ragged rows and keys. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"attention/softmax.ein", "attention/causal.ein", "attention/softplus_l1.ein",
            "attention/sigmoid.ein"})
    void headSize128WithAColumnTailAgreesWithInterpreter(String file) {
        Cascade c = cascade(file);
        check(c, KERNELS.computeIfAbsent(file, key -> LlvmBackend.jit(c)), file,
                Map.of("b", 1, "h", 2, "g", 1, "p", 135, "m", 150, "e", 128, "f", 120), 7);
    }

    /**
     * Key ranges that begin and end inside groups of keys and blocks of rows (causal diagonals not on a
     * tile boundary, more rows than keys and the reverse, narrow windows): the kernel skips the groups of
     * keys no row of a half sees and limits each block of rows' weighted sum to the keys its rows see.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"attention/causal.ein", "attention/sliding_window.ein", "attention/sinks_window.ein"})
    void keyRangesInsideTilesAgreeWithInterpreter(String file) {
        Cascade c = cascade(file);
        NativeKernel k = KERNELS.computeIfAbsent(file, key -> LlvmBackend.jit(c));
        check(c, k, file, Map.of("b", 1, "h", 2, "g", 1, "p", 200, "m", 77, "e", 33, "f", 40), 11);
        check(c, k, file, Map.of("b", 1, "h", 1, "g", 1, "p", 96, "m", 300, "e", 16, "f", 17), 12);
    }

    private static void check(Cascade c, NativeKernel k, String file, int shapeIndex) {
        check(c, k, file, SHAPES.get(shapeIndex), shapeIndex);
    }

    private static void check(Cascade c, NativeKernel k, String file, Map<String, Integer> shape, int seed) {
        Map<String, int[]> shapes = Examples.inputShapes(c, shape);
        Map<String, Dense> inputs = Examples.inputs(shapes, 1000L + 17L * seed + file.hashCode());
        Map<String, Dense> want = Examples.reference(c, inputs, shapes);
        Examples.runAndCompare(k, inputs, want, ExamplesAgreeTest.TOLERANCE);
    }
}
