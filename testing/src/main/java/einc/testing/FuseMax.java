package einc.testing;

import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Expr;
import einc.ir.ReduceOp;

import static einc.testing.Ir.a;
import static einc.testing.Ir.add;
import static einc.testing.Ir.cascade;
import static einc.testing.Ir.div;
import static einc.testing.Ir.exp;
import static einc.testing.Ir.k;
import static einc.testing.Ir.max;
import static einc.testing.Ir.mul;
import static einc.testing.Ir.sub;

/** FuseMax's attention cascades (LANGUAGE.md §1 and §7), built by hand for the tests of every module. */
public final class FuseMax {

    private FuseMax() {}

    /** Cascade 4, the 3-pass cascade, no batch ranks; {@code mask} (or null) filters the QK statement. */
    public static Cascade cascade4(Expr mask) {
        return cascade("attention")
                .input("Q", "p", "e").input("K", "m", "e").input("V", "m", "f").output("AV", "p", "f")
                .let(a("QK", "m", "p"), mul(a("Q", "p", "e"), a("K", "m", "e")), ReduceOp.SUM, mask)
                .let(a("GM", "p"), a("QK", "m", "p"), ReduceOp.MAX)
                .let(a("SN", "m", "p"), exp(sub(a("QK", "m", "p"), a("GM", "p"))))
                .let(a("SD", "p"), a("SN", "m", "p"))
                .let(a("A", "m", "p"), div(a("SN", "m", "p"), a("SD", "p")))
                .let(a("AV", "p", "f"), mul(a("A", "m", "p"), a("V", "m", "f")))
                .build();
    }

    /** Cascade 4 unmasked. */
    public static Cascade cascade4() {
        return cascade4(null);
    }

    /** Cascade 5, the 1-pass cascade (no batch ranks, tiles of 64). */
    public static Cascade cascade5() {
        return onePass(DType.F32, 64);
    }

    /** Cascade 5 over {@code type} tensors with key tiles of {@code tile}, under the given batch ranks. */
    public static Cascade onePass(DType type, long tile, String... batch) {
        return cascade("attention_1pass").batch(batch)
                .input("Q", type, "p", "e").input("K", type, "m", "e").input("V", type, "m", "f").output("AV", type, "p", "f")
                .split("m", "m1", "m0", tile)
                .init(a("RM", "m1", "p"), k(Double.NEGATIVE_INFINITY))
                .init(a("RD", "m1", "p"), k(0))
                .init(a("RNV", "m1", "p", "f"), k(0))
                .let(a("BQK", "m1", "m0", "p"), mul(a("Q", "p", "e"), a("K", "m1*M0+m0", "e")))
                .let(a("LM", "m1", "p"), a("BQK", "m1", "m0", "p"), ReduceOp.MAX)
                .let(a("RM", "m1+1", "p"), max(a("RM", "m1", "p"), a("LM", "m1", "p")))
                .let(a("SLN", "m1", "m0", "p"), exp(sub(a("BQK", "m1", "m0", "p"), a("RM", "m1+1", "p"))))
                .let(a("SLD", "m1", "p"), a("SLN", "m1", "m0", "p"))
                .let(a("SLNV", "m1", "p", "f"), mul(a("SLN", "m1", "m0", "p"), a("V", "m1*M0+m0", "f")))
                .let(a("PRM", "m1", "p"), exp(sub(a("RM", "m1", "p"), a("RM", "m1+1", "p"))))
                .let(a("RD", "m1+1", "p"), add(a("SLD", "m1", "p"), mul(a("RD", "m1", "p"), a("PRM", "m1", "p"))))
                .let(a("RNV", "m1+1", "p", "f"), add(a("SLNV", "m1", "p", "f"), mul(a("RNV", "m1", "p", "f"), a("PRM", "m1", "p"))))
                .let(a("AV", "p", "f"), div(a("RNV", "M1", "p", "f"), a("RD", "M1", "p")))
                .build();
    }
}
