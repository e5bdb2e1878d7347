package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Folds constant arithmetic and drops identities. A rule never removes an access or an index
 * (that would change which points exist), and a statement whose iteration space would change is
 * left as written.
 */
public final class ConstantFolding implements Rewrite {

    @Override
    public String name() {
        return "constant-folding";
    }

    @Override
    public String summary() {
        return "fold constant arithmetic and drop x * 1, x + 0, x / 1, -(-x)";
    }

    @Override
    public Result apply(Cascade c) {
        int[] folds = {0};
        List<Einsum> out = new ArrayList<>();
        List<String> changes = new ArrayList<>();
        for (Einsum s : c.statements()) {
            int before = folds[0];
            Expr body = Rewriting.map(s.body(), e -> fold(e, folds));
            Expr where = s.where() == null ? null : Rewriting.map(s.where(), e -> fold(e, folds));
            Einsum t = new Einsum(s.target(), body, s.reduction(), where, s.init(), s.span());
            if (folds[0] == before || !t.space().equals(s.space())) {
                folds[0] = before;
                out.add(s);
            } else {
                out.add(t);
                changes.add(s.tensor() + ": " + (folds[0] - before) + " fold" + (folds[0] - before == 1 ? "" : "s"));
            }
        }
        if (folds[0] == 0) return Result.notApplicable(c, "nothing to fold");
        Map<String, Integer> counters = new LinkedHashMap<>();
        counters.put("folds", folds[0]);
        return Result.changed(c.withStatements(c.intermediates(), out), counters, changes);
    }

    /** One node, its children already folded. */
    private static Expr fold(Expr e, int[] folds) {
        Expr r = rule(e);
        if (r != e) folds[0]++;
        return r;
    }

    private static Expr rule(Expr e) {
        return switch (e) {
            // c1 op c2 -> c (arithmetic only)
            case Expr.Binary(Expr.Op op, Expr.Const(double a), Expr.Const(double b)) when arithmetic(op) -> new Expr.Const(eval(op, a, b));
            // x * 1 -> x, 1 * x -> x
            case Expr.Binary(Expr.Op op, Expr x, Expr.Const(double b)) when op == Expr.Op.MUL && b == 1 -> x;
            case Expr.Binary(Expr.Op op, Expr.Const(double a), Expr x) when op == Expr.Op.MUL && a == 1 -> x;
            // x + 0 -> x, 0 + x -> x, x - 0 -> x
            case Expr.Binary(Expr.Op op, Expr x, Expr.Const(double b)) when (op == Expr.Op.ADD || op == Expr.Op.SUB) && b == 0 -> x;
            case Expr.Binary(Expr.Op op, Expr.Const(double a), Expr x) when op == Expr.Op.ADD && a == 0 -> x;
            // x / 1 -> x
            case Expr.Binary(Expr.Op op, Expr x, Expr.Const(double b)) when op == Expr.Op.DIV && b == 1 -> x;
            // -(-x) -> x
            case Expr.Unary(Expr.Fn f, Expr.Unary(Expr.Fn g, Expr x)) when f == Expr.Fn.NEG && g == Expr.Fn.NEG -> x;
            // f(c) -> c for the functions with an exact Java counterpart
            case Expr.Unary(Expr.Fn f, Expr.Const(double a)) when foldable(f) -> new Expr.Const(eval(f, a));
            // select(c, a, b) with a constant condition -> the chosen branch
            case Expr.Select(Expr.Const(double cond), Expr a, Expr b) -> cond != 0 ? a : b;
            default -> e;
        };
    }

    private static boolean arithmetic(Expr.Op op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MIN, MAX, POW -> true;
            default -> false;
        };
    }

    private static double eval(Expr.Op op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            case POW -> Math.pow(a, b);
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    private static boolean foldable(Expr.Fn f) {
        return switch (f) {
            case NEG, EXP, LOG, SQRT, TANH, ABS -> true;
            default -> false;
        };
    }

    private static double eval(Expr.Fn f, double a) {
        return switch (f) {
            case NEG -> -a;
            case EXP -> Math.exp(a);
            case LOG -> Math.log(a);
            case SQRT -> Math.sqrt(a);
            case TANH -> Math.tanh(a);
            case ABS -> Math.abs(a);
            default -> throw new IllegalArgumentException(f.name());
        };
    }
}
