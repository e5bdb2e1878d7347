package einc.codegen.cuda;

import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Expr;
import einc.ir.Expr.Op;
import einc.ir.ReduceOp;
import einc.testing.FuseMax;
import einc.testing.Ir;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import static einc.testing.Ir.a;
import static einc.testing.Ir.bin;
import static einc.testing.Ir.cascade;
import static einc.testing.Ir.div;
import static einc.testing.Ir.exp;
import static einc.testing.Ir.extent;
import static einc.testing.Ir.fn;
import static einc.testing.Ir.idx;
import static einc.testing.Ir.k;
import static einc.testing.Ir.mul;
import static einc.testing.Ir.paramRef;
import static einc.testing.Ir.sub;

/** The attention cascades the CUDA tests and the GPU check run, built by hand. */
final class Examples {

    private Examples() {}

    static Map<String, Cascade> all() {
        Map<String, Cascade> out = new LinkedHashMap<>();
        for (DType t : new DType[] {DType.F32, DType.BF16}) {
            String s = t.spelling();
            out.put("softmax_" + s, softmax("softmax_" + s, t, x -> x, null));
            out.put("causal_" + s, softmax("causal_" + s, t, x -> x, causal()));
            out.put("window_" + s, softmax("window_" + s, t, x -> x, window(5)));
            out.put("softcap_" + s, softcap("softcap_" + s, t));
            out.put("softplus_l1_" + s, l1("softplus_l1_" + s, t, Expr.Fn.SOFTPLUS));
        }
        // a negative slope of the scores
        out.put("softmax_negscale_bf16", softmax("softmax_negscale_bf16", DType.BF16, div(k(-1), fn(Expr.Fn.SQRT, extent("e"))), x -> x, null));
        out.put("attention_1pass", FuseMax.onePass(DType.F32, 4, "b", "h"));
        // SNV / SD as written under a mask that empties the first row: NaN there unguarded, 0 guarded
        out.put("deferred_empty_f32", deferred("deferred_empty_f32", DType.F32, strictCausal(), false));
        out.put("deferred_empty_bf16", deferred("deferred_empty_bf16", DType.BF16, strictCausal(), false));
        out.put("guarded_empty_f32", deferred("guarded_empty_f32", DType.F32, strictCausal(), true));
        return out;
    }

    static Expr scale() {
        return div(k(1), fn(Expr.Fn.SQRT, extent("e")));
    }

    private static Ir head(String name, DType t, Expr scale) {
        return cascade(name).batch("b", "h")
                .input("Q", t, "p", "e").input("K", t, "m", "e").input("V", t, "m", "f").output("AV", t, "p", "f")
                .param("scale", scale);
    }

    /** FuseMax's 3-pass softmax attention with a score modification {@code mod(QK)} and an optional mask. */
    static Cascade softmax(String name, DType t, UnaryOperator<Expr> mod, Expr mask) {
        return softmax(name, t, scale(), mod, mask);
    }

    /** {@link #softmax} with another scale of the dot product (a negative one included). */
    static Cascade softmax(String name, DType t, Expr scale, UnaryOperator<Expr> mod, Expr mask) {
        return softmax(head(name, t, scale), mod, mask);
    }

    private static Cascade softmax(Ir head, UnaryOperator<Expr> mod, Expr mask) {
        return head.let(a("QK", "m", "p"), mul(mul(paramRef("scale"), a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, mask)
                .let(a("CS", "m", "p"), mod.apply(a("QK", "m", "p")))
                .let(a("GM", "p"), a("CS", "m", "p"), ReduceOp.MAX)
                .let(a("SN", "m", "p"), exp(sub(a("CS", "m", "p"), a("GM", "p"))))
                .let(a("SD", "p"), a("SN", "m", "p"))
                .let(a("A", "m", "p"), div(a("SN", "m", "p"), a("SD", "p")))
                .let(a("AV", "p", "f"), mul(a("A", "m", "p"), a("V", "m", "f")))
                .build();
    }

    /** Softmax of the scores soft-capped at {@code cap} = 50: {@code cap * tanh(QK / cap)}. */
    static Cascade softcap(String name, DType t) {
        return softmax(head(name, t, scale()).param("cap", k(50)),
                qk -> mul(paramRef("cap"), fn(Expr.Fn.TANH, div(qk, paramRef("cap")))), null);
    }

    /** Attention with an element-wise weight {@code g(QK)} normalized by its sum over m (l1). */
    static Cascade l1(String name, DType t, Expr.Fn g) {
        return head(name, t, scale())
                .let(a("QK", "m", "p"), mul(mul(paramRef("scale"), a("Q", "p", "e")), a("K", "m", "e")))
                .let(a("SP", "m", "p"), fn(g, a("QK", "m", "p")))
                .let(a("SD", "p"), a("SP", "m", "p"))
                .let(a("A", "m", "p"), div(a("SP", "m", "p"), a("SD", "p")))
                .let(a("AV", "p", "f"), mul(a("A", "m", "p"), a("V", "m", "f")))
                .build();
    }

    /**
     * Softmax attention with the division deferred to the end ({@code AV = SNV / SD}, FuseMax's
     * Cascade 2 as written), under a mask; {@code guarded} writes it {@code select(SD == 0, 0, SNV / SD)}
     * as the optimizer's OnlineSoftmax does. A row the mask empties is 0 / 0 = NaN unguarded, 0 guarded.
     */
    static Cascade deferred(String name, DType t, Expr mask, boolean guarded) {
        Expr division = div(a("SNV", "p", "f"), a("SD", "p"));
        return head(name, t, scale())
                .let(a("QK", "m", "p"), mul(mul(paramRef("scale"), a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, mask)
                .let(a("GM", "p"), a("QK", "m", "p"), ReduceOp.MAX)
                .let(a("SN", "m", "p"), exp(sub(a("QK", "m", "p"), a("GM", "p"))))
                .let(a("SD", "p"), a("SN", "m", "p"))
                .let(a("SNV", "p", "f"), mul(a("SN", "m", "p"), a("V", "m", "f")))
                .let(a("AV", "p", "f"), guarded ? Ir.select(bin(Op.EQ, a("SD", "p"), k(0)), k(0), division) : division)
                .build();
    }

    /** m < p: the first query row has no key. */
    static Expr strictCausal() {
        return bin(Op.LT, idx("m"), idx("p"));
    }

    static Expr causal() {
        return bin(Op.LE, idx("m"), idx("p"));
    }

    /** m in (p - W, p]: a causal sliding window of W keys. */
    static Expr window(int w) {
        return bin(Op.AND, bin(Op.LE, idx("m"), idx("p")), bin(Op.LT, bin(Op.SUB, idx("p"), idx("m")), k(w)));
    }
}
