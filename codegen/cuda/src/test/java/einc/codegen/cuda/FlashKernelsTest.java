package einc.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.ir.Cascade;
import java.util.List;
import einc.runtime.cuda.CudaPlan;
import org.junit.jupiter.api.Test;

/** Which fused kernel each input type gets, its tile shape in the plan, and the one-multiply base-2 scaling of linear scores. */
class FlashKernelsTest {

    static CudaPlan.Launch flash(CudaProgram p) {
        return p.plan().steps().stream().filter(s -> s instanceof CudaPlan.Launch l && l.kernel().contains("_flash_"))
                .map(s -> (CudaPlan.Launch) s).findFirst().orElseThrow();
    }

    @Test
    void bf16TakesTensorCoresWith128QueryRowsABlock() {
        CudaProgram p = CudaCodegen.generate(Examples.all().get("causal_bf16"));
        assertTrue(p.source().contains("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"));
        assertTrue(p.source().contains("#define EINC_MT64 2") && p.source().contains("#define EINC_MT128 2"));
        assertEquals(128, flash(p).x().divisor());
        assertEquals(128, flash(p).block());
        // Q tile of 128 rows and two K and two V tiles of 64, rows padded by 8 elements
        assertEquals((128 + 4 * 64) * (128 + 8) * 2, flash(p).sharedBytes128());
    }

    @Test
    void aWindowTakes64RowBlocksAtHeadDimension64() {
        CudaProgram p = CudaCodegen.generate(Examples.all().get("window_bf16"));
        assertTrue(p.source().contains("#define EINC_MT64 1") && p.source().contains("#define EINC_MT128 2"));
        // the grid is sized for 64-row blocks; the D=128 kernel's 128-row blocks leave every other one spare
        assertEquals(64, flash(p).x().divisor());
        assertTrue(p.source().contains("if (p0 >= P_) return;"));
        // at D=64, Q is staged in the second V tile: four 64-key tiles only
        assertEquals(4 * 64 * (64 + 8) * 2, flash(p).sharedBytes());
        assertEquals((128 + 4 * 64) * (128 + 8) * 2, flash(p).sharedBytes128());
    }

    @Test
    void f32TakesSplitTf32TensorCoresOrSimt() {
        Cascade c = Examples.all().get("softmax_f32");
        CudaProgram tc = CudaCodegen.generate(c);
        assertTrue(tc.source().contains("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32"));
        assertTrue(tc.source().contains("hi = (__float_as_uint(x) + 0x1000u) & 0xffffe000u;"), "tf32 rounding to nearest by integer ops");
        // 8 warps of 16 rows share each K/V tile, split into hi and lo parts once a block
        assertEquals(128, flash(tc).x().divisor());
        assertEquals(256, flash(tc).block());
        assertTrue(tc.source().contains("einc_ldm_x4(bl[0], bl[1], bl[2], bl[3], sKl + at);"));
        assertEquals(((128 + 4 * 32) * 132 + 2 * 32 * 132 + 2 * 32 * 128) * 4, flash(tc).sharedBytes128());
        AttentionRecognizer.Result r = AttentionRecognizer.recognize(c);
        CudaProgram simt = FlashKernels.generate(c, r.pattern().orElseThrow(), "simt", r.why(), new FlashKernels.Tuning(2, 2, 64, 64, false, 32));
        assertFalse(simt.source().contains("mma.sync"));
        assertEquals(256, flash(simt).block());
    }

    @Test
    void aDeferredDivisionLeavesAnEmptiedRowNaNAsTheInterpreterDoes() {
        // SNV / SD as written (einc run --no-optimize): 0 / 0 = NaN on a row with no key
        for (String n : List.of("deferred_empty_f32", "deferred_empty_bf16")) {
            Cascade c = Examples.all().get(n);
            assertTrue(AttentionRecognizerTest.pattern(c).emptyIsNaN(), n);
            String src = CudaCodegen.generate(c).source();
            assertTrue(src.contains("#define EINC_EMPTY_NAN 1"), n);
            assertTrue(src.contains("inv[h] = 1.f / l;"), n);
        }
        // the interpreter agrees: row 0 of the strict causal mask is NaN, the others numbers
        Cascade c = Examples.all().get("deferred_empty_f32");
        double[] out = run(c);
        assertTrue(Double.isNaN(out[0]) && !Double.isNaN(out[out.length - 1]));
        Cascade simt = Examples.all().get("deferred_empty_f32");
        AttentionRecognizer.Result r = AttentionRecognizer.recognize(simt);
        String s = FlashKernels.generate(simt, r.pattern().orElseThrow(), "simt", r.why(), new FlashKernels.Tuning(2, 2, 64, 64, false, 32)).source();
        assertTrue(s.contains("#define EINC_EMPTY_NAN 1") && s.contains("inv = 1.f / l;"));
        // guarded as the optimizer writes it, normalized before the sum of V, or the examples: 0 there
        for (String n : List.of("guarded_empty_f32", "causal_bf16", "softplus_l1_f32")) {
            Cascade g = Examples.all().get(n);
            assertFalse(AttentionRecognizerTest.pattern(g).emptyIsNaN(), n);
            assertTrue(CudaCodegen.generate(g).source().contains("#define EINC_EMPTY_NAN 0"), n);
        }
        assertEquals(0.0, run(Examples.all().get("guarded_empty_f32"))[0]);
    }

    /** The interpreter's AV at B=H=1, P=M=5, E=F=3 on fixed inputs. */
    private static double[] run(Cascade c) {
        java.util.Random rnd = new java.util.Random(7);
        java.util.Map<String, int[]> shapes = java.util.Map.of("Q", new int[] {1, 1, 5, 3}, "K", new int[] {1, 1, 5, 3}, "V", new int[] {1, 1, 5, 3});
        einc.ir.Extents x = einc.ir.Extents.bind(c, shapes, java.util.Map.of());
        java.util.Map<String, einc.ir.Dense> in = new java.util.LinkedHashMap<>();
        for (String t : List.of("Q", "K", "V")) in.put(t, new einc.ir.Dense(shapes.get(t), HostData.random(rnd, 15, einc.runtime.cuda.CudaPlan.Type.F32)));
        return einc.ir.Interpreter.run(c, x, in, einc.ir.Interpreter.params(c, x, java.util.Map.of())).get("AV").data();
    }

    @Test
    void aLinearScoreIsScaledToBase2ByOneMultiply() {
        AttentionPattern softmax = AttentionRecognizerTest.pattern(Examples.all().get("softmax_bf16"));
        assertNotNull(FlashKernels.slope(softmax.score()), softmax.score().toString());
        String src = CudaCodegen.generate(Examples.all().get("softmax_bf16")).source();
        assertTrue(src.contains("s[mt][j][e] = s[mt][j][e] * sl2;"), "one multiply");
        String sp = CudaCodegen.generate(Examples.all().get("softplus_l1_bf16")).source();
        assertTrue(sp.contains("s[mt][j][e] = einc_sp2(s[mt][j][e] * sl2);"), "softplus in base 2");
        String spf = CudaCodegen.generate(Examples.all().get("softplus_l1_f32")).source();
        assertFalse(spf.contains("= einc_sp2("), "f32 keeps the exact softplus");
        AttentionPattern softcap = AttentionRecognizerTest.pattern(Examples.all().get("softcap_bf16"));
        assertNull(FlashKernels.slope(softcap.score()), softcap.score().toString());
        assertFalse(CudaCodegen.generate(Examples.all().get("softcap_bf16")).source().contains("const float sl2"));
    }
}
