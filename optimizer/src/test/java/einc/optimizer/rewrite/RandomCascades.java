package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.Expr;
import einc.ir.ReduceOp;
import einc.testing.Ir;

import java.util.Random;

import static einc.testing.Ir.*;

/** Seeded random attention-like and linear-attention-like cascades: random element-wise functions, masks and forms. */
final class RandomCascades {

    private RandomCascades() {}

    static Cascade next(Random r) {
        return r.nextInt(3) == 0 ? linear(r) : attention(r);
    }

    /** A random affine mask over m and p, or null. */
    static Expr mask(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> le(idx("m"), idx("p"));
            case 1 -> lt(idx("m"), idx("p"));
            case 2 -> and(le(idx("m"), idx("p")), lt(sub(idx("p"), idx("m")), k(1 + r.nextInt(4))));
            case 3 -> bin(Expr.Op.GE, idx("m"), sub(idx("p"), k(2)));
            default -> null;
        };
    }

    static Cascade attention(Random r) {
        Ir c = cascade("rand_attention").input("Q", "p", "e").input("K", "m", "e").input("V", "m", "f").output("AV", "p", "f");
        boolean lse = r.nextBoolean();
        if (lse) c.output("LSE", "p");
        Expr mask = mask(r);
        boolean maskOnMax = mask != null && r.nextInt(4) == 0;
        c.let(a("QK", "m", "p"), mul(k(0.5 + r.nextDouble()), mul(a("Q", "p", "e"), a("K", "m", "e"))), ReduceOp.SUM, maskOnMax ? null : mask);
        String x = "QK";
        switch (r.nextInt(4)) {
            case 0 -> { c.let(a("X", "m", "p"), fn(Expr.Fn.TANH, a("QK", "m", "p"))); x = "X"; }
            case 1 -> { c.let(a("X", "m", "p"), sub(a("QK", "m", "p"), mul(k(0.25), fn(Expr.Fn.ABS, sub(idx("p"), idx("m")))))); x = "X"; }
            case 2 -> { c.let(a("X", "m", "p"), fn(Expr.Fn.SOFTPLUS, a("QK", "m", "p"))); x = "X"; }
            default -> {}
        }
        c.let(a("GM", "p"), a(x, "m", "p"), ReduceOp.MAX, maskOnMax ? mask : null);
        Expr e = exp(sub(a(x, "m", "p"), a("GM", "p")));
        if (r.nextInt(3) == 0) e = mul(e, k(2));
        c.let(a("SN", "m", "p"), e, ReduceOp.SUM, maskOnMax && r.nextBoolean() ? mask : null);
        c.let(a("SD", "p"), a("SN", "m", "p"));
        if (r.nextBoolean()) {
            c.let(a("A", "m", "p"), div(a("SN", "m", "p"), a("SD", "p")));
            c.let(a("AV", "p", "f"), mul(a("A", "m", "p"), a("V", "m", "f")));
        } else {
            c.let(a("AV", "p", "f"), mul(div(a("SN", "m", "p"), a("SD", "p")), a("V", "m", "f")));
        }
        if (lse) c.let(a("LSE", "p"), add(a("GM", "p"), fn(Expr.Fn.LOG, a("SD", "p"))));
        return c.build();
    }

    static Cascade linear(Random r) {
        Expr.Fn[] phis = {Expr.Fn.EXP, Expr.Fn.SOFTPLUS, Expr.Fn.SIGMOID};
        Expr.Fn phi = phis[r.nextInt(phis.length)];
        Ir c = cascade("rand_linear").input("Q", "p", "e").input("K", "m", "e").input("V", "m", "f").output("AV", "p", "f");
        c.let(a("QF", "p", "e"), fn(phi, a("Q", "p", "e")));
        c.let(a("KF", "m", "e"), add(fn(Expr.Fn.ELU, a("K", "m", "e")), k(1.5)));
        Expr mask = r.nextInt(3) == 0 ? le(idx("m"), idx("p")) : null;
        c.let(a("S", "m", "p"), mul(a("QF", "p", "e"), a("KF", "m", "e")), ReduceOp.SUM, mask);
        c.let(a("N", "p", "f"), mul(a("S", "m", "p"), a("V", "m", "f")));
        c.let(a("Z", "p"), a("S", "m", "p"));
        c.let(a("AV", "p", "f"), div(a("N", "p", "f"), a("Z", "p")));
        return c.build();
    }
}
