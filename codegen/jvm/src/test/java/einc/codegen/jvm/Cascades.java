package einc.codegen.jvm;

import einc.ir.Cascade;
import einc.ir.Expr;
import einc.ir.IndexExpr;
import einc.ir.DType;
import einc.ir.ReduceOp;
import einc.testing.FuseMax;
import einc.testing.Ir;

import java.util.LinkedHashMap;
import java.util.Map;

import static einc.testing.Ir.*;

/** The cascades the backend tests run: the attention variants of the literature and a few odd shapes. */
final class Cascades {

    private Cascades() {}

    static Map<String, Cascade> all() {
        Map<String, Cascade> m = new LinkedHashMap<>();
        m.put("attention", attention());
        m.put("causal", causal());
        m.put("deferred", deferred());
        m.put("onepass", FuseMax.onePass(DType.F32, 16, "b", "h"));
        m.put("softcap", softcap());
        m.put("alibi", alibi());
        m.put("gqa", gqa());
        m.put("window", window());
        m.put("sigmoid", sigmoid());
        m.put("relu", relu());
        m.put("l1", l1());
        m.put("l1deferred", l1Deferred());
        m.put("sinks", sinks());
        m.put("band", band());
        m.put("emptied", emptied());
        m.put("emptieddeferred", emptiedDeferred());
        m.put("relusinks", reluSinks());
        m.put("l1sinks", l1Sinks());
        m.put("linear", linear());
        m.put("prefix", prefix());
        m.put("unsliced", unsliced());
        m.put("shifted", shifted());
        return m;
    }

    static Expr scaled(Expr x) {
        return mul(paramRef("scale"), x);
    }

    private static Ir attentionHead(String name) {
        return cascade(name).batch("b", "h")
                .input("Q", "p", "e").input("K", "m", "e").input("V", "m", "f").output("AV", "p", "f")
                .param("scale", div(k(1), fn(Expr.Fn.SQRT, extent("e"))));
    }

    private static Ir softmaxTail(Ir ir, String scores) {
        return ir.let(a("GM", "p"), a(scores, "m", "p"), ReduceOp.MAX)
                .let(a("SN", "m", "p"), exp(sub(a(scores, "m", "p"), a("GM", "p"))))
                .let(a("SD", "p"), a("SN", "m", "p"))
                .let(a("A", "m", "p"), div(a("SN", "m", "p"), a("SD", "p")))
                .let(a("AV", "p", "f"), mul(a("A", "m", "p"), a("V", "m", "f")));
    }

    /** FuseMax Cascade 4 (LANGUAGE.md §1). */
    static Cascade attention() {
        return softmaxTail(attentionHead("attention")
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e"))), "QK").build();
    }

    static Cascade causal() {
        return softmaxTail(attentionHead("causal")
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, le(idx("m"), idx("p"))), "QK").build();
    }

    /** Deferred normalization: the weighted sum before the division. */
    static Cascade deferred() {
        return deferred("deferred", le(idx("m"), idx("p")));
    }

    /** Softmax attention under {@code mask}, normalized after the weighted sum. */
    private static Cascade deferred(String name, Expr mask) {
        return attentionHead(name)
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, mask)
                .let(a("GM", "p"), a("QK", "m", "p"), ReduceOp.MAX)
                .let(a("SN", "m", "p"), exp(sub(a("QK", "m", "p"), a("GM", "p"))))
                .let(a("SD", "p"), a("SN", "m", "p"))
                .let(a("SNV", "p", "f"), mul(a("SN", "m", "p"), a("V", "m", "f")))
                .let(a("AV", "p", "f"), div(a("SNV", "p", "f"), a("SD", "p")))
                .build();
    }

    /** Gemma-style tanh soft-capping of the scores. */
    static Cascade softcap() {
        return softmaxTail(attentionHead("softcap")
                .param("cap", k(5))
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")))
                .let(a("S", "m", "p"), mul(paramRef("cap"), fn(Expr.Fn.TANH, div(a("QK", "m", "p"), paramRef("cap"))))), "S").build();
    }

    /** ALiBi: a per-head linear bias on the distance, causal. */
    static Cascade alibi() {
        return softmaxTail(attentionHead("alibi")
                .input("slope", "h")
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, le(idx("m"), idx("p")))
                .let(a("S", "m", "p"), sub(a("QK", "m", "p"), mul(a("slope", "h"), fn(Expr.Fn.ABS, sub(idx("p"), idx("m")))))), "S").build();
    }

    /** Grouped-query attention: heads share K and V by groups. */
    static Cascade gqa() {
        IndexExpr group = new IndexExpr.IBin(IndexExpr.IOp.DIV, ix("h"),
                new IndexExpr.IBin(IndexExpr.IOp.DIV, ix("H"), ix("G")));
        return cascade("gqa").batch("b", "h")
                .input("Q", "p", "e").input("K", "b", "g", "m", "e").input("V", "b", "g", "m", "f").output("AV", "p", "f")
                .param("scale", div(k(1), fn(Expr.Fn.SQRT, extent("e"))))
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", ix("b"), group, ix("m"), ix("e"))))
                .let(a("GM", "p"), a("QK", "m", "p"), ReduceOp.MAX)
                .let(a("SN", "m", "p"), exp(sub(a("QK", "m", "p"), a("GM", "p"))))
                .let(a("SD", "p"), a("SN", "m", "p"))
                .let(a("A", "m", "p"), div(a("SN", "m", "p"), a("SD", "p")))
                .let(a("AV", "p", "f"), mul(a("A", "m", "p"), a("V", ix("b"), group, ix("m"), ix("f"))))
                .build();
    }

    /** Sliding-window causal attention: each query sees the last few keys. */
    static Cascade window() {
        Expr cond = bin(Expr.Op.AND, le(idx("m"), idx("p")), bin(Expr.Op.LT, sub(idx("p"), idx("m")), k(3)));
        return softmaxTail(attentionHead("window")
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, cond), "QK").build();
    }

    /** Sinks plus a causal window: {@code m <= p} is a bound, the disjunction a per-key mask. */
    static Cascade sinks() {
        return softmaxTail(attentionHead("sinks").param("sinks", k(2)).param("window", k(5))
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, sinksMask()), "QK").build();
    }

    private static Expr sinksMask() {
        return bin(Expr.Op.AND, le(idx("m"), idx("p")),
                bin(Expr.Op.OR, bin(Expr.Op.LT, idx("m"), paramRef("sinks")), bin(Expr.Op.LT, sub(idx("p"), idx("m")), paramRef("window"))));
    }

    /** Keys at least 4 after the query, {@code m >= p + 4}: a lower loop bound that empties the last rows (and every row when M <= 4). */
    static Cascade above() {
        return softmaxTail(attentionHead("above")
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM,
                        bin(Expr.Op.GE, idx("m"), add(idx("p"), k(4)))), "QK").build();
    }

    /** A shifted band {@code start(p) <= m <= start(p) + 6}, {@code start(p) = max(0, min(p - 3, M - 7))}: bounds from min and max of p. */
    static Cascade band() {
        Expr start = max(k(0), bin(Expr.Op.MIN, sub(idx("p"), k(3)), sub(extent("m"), k(7))));
        Expr cond = bin(Expr.Op.AND, bin(Expr.Op.GE, idx("m"), start), le(idx("m"), add(start, k(6))));
        return softmaxTail(attentionHead("band")
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, cond), "QK").build();
    }

    /** A per-key mask that empties rows 5 to 8 and elsewhere keeps keys with m * m <= 4 p + 10 or m > p + 2 (nothing of it is a bound). */
    private static Expr emptyingMask() {
        Expr rows = bin(Expr.Op.OR, bin(Expr.Op.LT, idx("p"), k(5)), bin(Expr.Op.GT, idx("p"), k(8)));
        Expr keys = le(mul(idx("m"), idx("m")), add(mul(k(4), idx("p")), k(10)));
        Expr third = bin(Expr.Op.OR, keys, fn(Expr.Fn.NOT, bin(Expr.Op.LE, idx("m"), add(idx("p"), k(2)))));
        return bin(Expr.Op.AND, rows, third);
    }

    /** Softmax under {@link #emptyingMask}: emptied rows are 0. */
    static Cascade emptied() {
        return softmaxTail(attentionHead("emptied")
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, emptyingMask()), "QK").build();
    }

    /** The same, normalized after the weighted sum: emptied rows are 0 / 0. */
    static Cascade emptiedDeferred() {
        return deferred("emptieddeferred", emptyingMask());
    }

    /** Unnormalized relu weights under the sinks mask: masked keys weigh 0. */
    static Cascade reluSinks() {
        return attentionHead("relusinks").param("sinks", k(2)).param("window", k(5))
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, sinksMask())
                .let(a("A", "m", "p"), fn(Expr.Fn.RELU, a("QK", "m", "p")))
                .let(a("AV", "p", "f"), mul(a("V", "m", "f"), a("A", "m", "p")))
                .build();
    }

    /** L1 weights under the sinks mask: not fused (l1 finds its empty rows from the bounds). */
    static Cascade l1Sinks() {
        return attentionHead("l1sinks").param("sinks", k(2)).param("window", k(5))
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, sinksMask())
                .let(a("SP", "m", "p"), fn(Expr.Fn.SOFTPLUS, a("QK", "m", "p")))
                .let(a("SD", "p"), a("SP", "m", "p"))
                .let(a("A", "m", "p"), div(a("SP", "m", "p"), a("SD", "p")))
                .let(a("AV", "p", "f"), mul(a("A", "m", "p"), a("V", "m", "f")))
                .build();
    }

    /** Causal sigmoid attention with a bias: the weights used as they are, no normalization. */
    static Cascade sigmoid() {
        return attentionHead("sigmoid")
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, le(idx("m"), idx("p")))
                .let(a("A", "m", "p"), fn(Expr.Fn.SIGMOID, sub(a("QK", "m", "p"), k(1.5))))
                .let(a("AV", "p", "f"), mul(a("A", "m", "p"), a("V", "m", "f")))
                .build();
    }

    /** ReLU attention divided by the key count, sliding-window masked, no normalization. */
    static Cascade relu() {
        Expr cond = bin(Expr.Op.AND, le(idx("m"), idx("p")), bin(Expr.Op.LT, sub(idx("p"), idx("m")), k(5)));
        return attentionHead("relu")
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, cond)
                .let(a("A", "m", "p"), div(fn(Expr.Fn.RELU, a("QK", "m", "p")), extent("m")))
                .let(a("AV", "p", "f"), mul(a("V", "m", "f"), a("A", "m", "p")))
                .build();
    }

    /** Softplus attention, l1 normalized before weighting V. */
    static Cascade l1() {
        return attentionHead("l1")
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")))
                .let(a("SP", "m", "p"), fn(Expr.Fn.SOFTPLUS, mul(a("QK", "m", "p"), k(4))))
                .let(a("SD", "p"), a("SP", "m", "p"))
                .let(a("A", "m", "p"), div(a("SP", "m", "p"), a("SD", "p")))
                .let(a("AV", "p", "f"), mul(a("A", "m", "p"), a("V", "m", "f")))
                .build();
    }

    /** Causal sigmoid attention, l1 normalized after weighting V. */
    static Cascade l1Deferred() {
        return attentionHead("l1deferred")
                .let(a("QK", "m", "p"), mul(scaled(a("Q", "p", "e")), a("K", "m", "e")), ReduceOp.SUM, le(idx("m"), idx("p")))
                .let(a("W", "m", "p"), fn(Expr.Fn.SIGMOID, a("QK", "m", "p")))
                .let(a("SD", "p"), a("W", "m", "p"))
                .let(a("WV", "p", "f"), mul(a("W", "m", "p"), a("V", "m", "f")))
                .let(a("AV", "p", "f"), div(a("WV", "p", "f"), a("SD", "p")))
                .build();
    }

    /** Linear attention with an elu + 1 feature map, associated right to left. */
    static Cascade linear() {
        Expr phiK = add(fn(Expr.Fn.ELU, a("K", "m", "e")), k(1));
        Expr phiQ = add(fn(Expr.Fn.ELU, a("Q", "p", "e")), k(1));
        return cascade("linear").batch("b", "h")
                .input("Q", "p", "e").input("K", "m", "e").input("V", "m", "f").output("O", "p", "f")
                .let(a("KV", "e", "f"), mul(phiK, a("V", "m", "f")))
                .let(a("Z", "e"), phiK)
                .let(a("N", "p", "f"), mul(phiQ, a("KV", "e", "f")))
                .let(a("D", "p"), mul(phiQ, a("Z", "e")))
                .let(a("O", "p", "f"), div(a("N", "p", "f"), a("D", "p")))
                .build();
    }

    /** A recurrence without split: a running sum, read back shifted. */
    static Cascade prefix() {
        return cascade("prefix")
                .input("X", "i").output("Y", "i")
                .init(a("C", "i"), k(0))
                .let(a("C", "i+1"), add(a("C", "i"), a("X", "i")))
                .let(a("Y", "i"), a("C", "i+1"))
                .build();
    }

    /** A reduction over a batch rank: cannot slice, runs as one loop nest. */
    static Cascade unsliced() {
        return cascade("unsliced").batch("b", "h")
                .input("X", "i").output("Y", "i")
                .let(a("G", "h"), fn(Expr.Fn.EXP, a("X", "b", "h", "i")), ReduceOp.MAX)
                .let(a("Y", "i"), select(bin(Expr.Op.GT, a("X", "i"), k(0)), div(a("X", "i"), a("G", "h")), k(-1)))
                .build();
    }

    /** Out-of-range reads and where-clauses whose targets stay partly absent. */
    static Cascade shifted() {
        return cascade("shifted")
                .input("X", "i", "j").output("Y", "i", "j").output("Z", "i")
                .let(a("D", "i", "j"), sub(a("X", "i", "j"), a("X", "i-1", "j")))
                .let(a("Y", "i", "j"), mul(a("D", "i", "j"), k(2)), ReduceOp.SUM, bin(Expr.Op.NE, idx("i"), idx("j")))
                .let(a("Z", "i"), a("D", "i", "j"), ReduceOp.MIN, bin(Expr.Op.GT, a("X", "i", "j"), k(-0.5)))
                .build();
    }
}
