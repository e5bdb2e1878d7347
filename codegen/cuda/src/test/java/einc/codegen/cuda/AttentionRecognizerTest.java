package einc.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.codegen.cuda.AttentionPattern.Normalization;
import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Expr;
import einc.testing.FuseMax;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The recognizer finds the attention shape of the examples, their normalization and mask bounds, and says why not otherwise. */
class AttentionRecognizerTest {

    static AttentionPattern pattern(Cascade c) {
        AttentionRecognizer.Result r = AttentionRecognizer.recognize(c);
        assertTrue(r.pattern().isPresent(), c.name() + ": " + r.why());
        return r.pattern().get();
    }

    @Test
    void softmaxVariantsAreSoftmax() {
        for (String n : List.of("softmax_f32", "causal_bf16", "window_f32", "softcap_bf16")) {
            AttentionPattern p = pattern(Examples.all().get(n));
            assertEquals(Normalization.SOFTMAX, p.normalization(), n);
            assertEquals("Q", p.q().tensor());
            assertEquals("K", p.k().tensor());
            assertEquals("V", p.v().tensor());
        }
    }

    @Test
    void softplusIsL1Normalized() {
        AttentionPattern p = pattern(Examples.all().get("softplus_l1_bf16"));
        assertEquals(Normalization.SUM, p.normalization());
        assertTrue(p.score() instanceof Expr.Unary(Expr.Fn fn, Expr x) && fn == Expr.Fn.SOFTPLUS, p.score().toString());
    }

    @Test
    void aReluWeightDividedPerKeyIsLeftToTheGenericKernels() {
        // relu(qk) / sum relu(qk) is 0 / 0 = NaN at every key of a row whose keys all score <= 0; the fused
        // kernel's deferred division would write 0 there
        AttentionRecognizer.Result r = AttentionRecognizer.recognize(Examples.l1("relu_l1_f32", DType.F32, Expr.Fn.RELU));
        assertFalse(r.pattern().isPresent());
        assertTrue(r.why().contains("NaN"), r.why());
    }

    @Test
    void causalAndWindowMasksBecomeKeyBounds() {
        MaskBounds causal = new MaskBounds(pattern(Examples.all().get("causal_f32")).maskAtoms());
        assertEquals(1, causal.bounds.size());
        assertTrue(causal.bounds.getFirst().upper());
        assertTrue(causal.others.isEmpty());
        MaskBounds window = new MaskBounds(pattern(Examples.all().get("window_f32")).maskAtoms());
        assertEquals(2, window.bounds.size());
        assertEquals(1, window.bounds.stream().filter(b -> !b.upper()).count());
    }

    @Test
    void recurrenceIsNotAttentionShapedAndSaysWhy() {
        AttentionRecognizer.Result r = AttentionRecognizer.recognize(FuseMax.onePass(DType.F32, 4, "b", "h"));
        assertFalse(r.pattern().isPresent());
        assertTrue(r.why().contains("recurrence"), r.why());
    }

    @Test
    void generatedFlashKernelUsesTensorCoresForBf16Only() {
        CudaProgram bf = CudaCodegen.generate(Examples.all().get("softmax_bf16"));
        assertTrue(bf.fused());
        assertTrue(bf.source().contains("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"));
        CudaProgram f = CudaCodegen.generate(Examples.all().get("softmax_f32"));
        assertTrue(f.fused());
        // f32 stays f32-accurate: split-precision tf32 mmas, never bf16 ones
        assertFalse(f.source().contains("einc_mma(s["));
        assertTrue(f.source().contains("einc_mma_tf32(s[") && f.source().contains("m16n8k8.row.col.f32.tf32.tf32.f32"));
    }
}
