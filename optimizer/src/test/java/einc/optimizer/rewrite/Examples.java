package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.Expr;
import einc.ir.ReduceOp;
import einc.testing.FuseMax;

import static einc.testing.Ir.*;

/** The attention variants the rewrites are tested on, built by hand the way the frontend builds them. */
final class Examples {

    private Examples() {}

    /** Causal softmax attention: {@code m <= p}. */
    static Cascade causal() {
        return FuseMax.cascade4(le(idx("m"), idx("p")));
    }

    /** Sliding-window softmax attention: {@code m <= p && p - m < 3}. */
    static Cascade slidingWindow() {
        return FuseMax.cascade4(and(le(idx("m"), idx("p")), lt(sub(idx("p"), idx("m")), k(3))));
    }

    /** Softplus attention normalized by the l1 norm of each row. */
    static Cascade softplusL1() {
        return cascade("softplus_attention")
                .input("Q", "p", "e").input("K", "m", "e").input("V", "m", "f").output("AV", "p", "f")
                .let(a("QK", "m", "p"), mul(a("Q", "p", "e"), a("K", "m", "e")))
                .let(a("S", "m", "p"), fn(Expr.Fn.SOFTPLUS, a("QK", "m", "p")))
                .let(a("D", "p"), a("S", "m", "p"))
                .let(a("A", "m", "p"), div(a("S", "m", "p"), a("D", "p")))
                .let(a("AV", "p", "f"), mul(a("A", "m", "p"), a("V", "m", "f")))
                .build();
    }

    /** Linear attention with feature map elu + 1; {@code mask} (or null) filters the scores. */
    static Cascade linear(Expr mask) {
        return cascade("linear_attention")
                .input("Q", "p", "e").input("K", "m", "e").input("V", "m", "f").output("AV", "p", "f")
                .let(a("QF", "p", "e"), add(fn(Expr.Fn.ELU, a("Q", "p", "e")), k(1)))
                .let(a("KF", "m", "e"), add(fn(Expr.Fn.ELU, a("K", "m", "e")), k(1)))
                .let(a("S", "m", "p"), mul(a("QF", "p", "e"), a("KF", "m", "e")), ReduceOp.SUM, mask)
                .let(a("N", "p", "f"), mul(a("S", "m", "p"), a("V", "m", "f")))
                .let(a("Z", "p"), a("S", "m", "p"))
                .let(a("AV", "p", "f"), div(a("N", "p", "f"), a("Z", "p")))
                .build();
    }
}
