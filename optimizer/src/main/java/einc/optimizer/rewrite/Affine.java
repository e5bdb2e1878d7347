package einc.optimizer.rewrite;

import einc.ir.Expr;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An affine form {@code sum_i c_i * i + k} of index values, whose coefficients and constant are
 * expressions free of indices (literals, extents, parameters): how a {@code where} condition
 * reads when it can become a loop bound.
 */
record Affine(Map<String, Expr> coefficients, Expr constant) {

    static final Expr ZERO = new Expr.Const(0), ONE = new Expr.Const(1);

    /** The affine form of {@code e}, or null when it is not affine in the indices (or reads a tensor). */
    static Affine of(Expr e) {
        return switch (e) {
            case Expr.IndexValue(String i) -> new Affine(Map.of(i, ONE), ZERO);
            case Expr.Const c -> new Affine(Map.of(), e);
            case Expr.ExtentRef x -> new Affine(Map.of(), e);
            case Expr.ParamRef p -> new Affine(Map.of(), e);
            case Expr.Unary(Expr.Fn fn, Expr x) when fn == Expr.Fn.NEG -> {
                Affine a = of(x);
                yield a == null ? null : a.scale(new Expr.Const(-1));
            }
            case Expr.Binary(Expr.Op op, Expr x, Expr y) when op == Expr.Op.ADD || op == Expr.Op.SUB -> {
                Affine a = of(x), b = of(y);
                yield a == null || b == null ? null : a.plus(op == Expr.Op.ADD ? b : b.scale(new Expr.Const(-1)));
            }
            case Expr.Binary(Expr.Op op, Expr x, Expr y) when op == Expr.Op.MUL -> {
                Affine a = of(x), b = of(y);
                if (a == null || b == null) yield null;
                if (a.coefficients.isEmpty()) yield b.scale(a.constant);
                if (b.coefficients.isEmpty()) yield a.scale(b.constant);
                yield null;
            }
            default -> null;
        };
    }

    Affine plus(Affine o) {
        Map<String, Expr> c = new LinkedHashMap<>(coefficients);
        o.coefficients.forEach((k, v) -> c.merge(k, v, Affine::add));
        return new Affine(c, add(constant, o.constant));
    }

    Affine scale(Expr k) {
        Map<String, Expr> c = new LinkedHashMap<>();
        coefficients.forEach((i, v) -> c.put(i, mul(v, k)));
        return new Affine(c, mul(constant, k));
    }

    /** This form without the term of {@code index}. */
    Affine without(String index) {
        Map<String, Expr> c = new LinkedHashMap<>(coefficients);
        c.remove(index);
        return new Affine(c, constant);
    }

    /** The form as an expression: terms in order, then the constant, subtracting negative parts. */
    Expr expr() {
        Expr out = null;
        boolean constantFirst = !negative(constant) && !(constant instanceof Expr.Const(double z) && z == 0);
        for (Map.Entry<String, Expr> t : coefficients.entrySet())
            if (!negative(t.getValue())) out = join(out, t.getValue(), new Expr.IndexValue(t.getKey()));
        if (constantFirst) out = join(out, constant, null);
        for (Map.Entry<String, Expr> t : coefficients.entrySet())
            if (negative(t.getValue())) out = join(out, t.getValue(), new Expr.IndexValue(t.getKey()));
        if (out == null) return constant;
        return constantFirst || constant instanceof Expr.Const(double k) && k == 0 ? out : join(out, constant, null);
    }

    private static boolean negative(Expr coef) {
        if (coef instanceof Expr.Const(double k)) return k < 0;
        return coef instanceof Expr.Binary(Expr.Op op, Expr.Const(double k), Expr r) && op == Expr.Op.MUL && k == -1;
    }

    /** {@code out + coef * x} (or {@code out - |coef| * x}); {@code x} null for the constant. */
    private static Expr join(Expr out, Expr coef, Expr x) {
        boolean negative = false;
        if (coef instanceof Expr.Const(double k) && k < 0) {
            negative = true;
            coef = new Expr.Const(-k);
        } else if (coef instanceof Expr.Binary(Expr.Op op, Expr.Const(double k), Expr r) && op == Expr.Op.MUL && k == -1) {
            negative = true;
            coef = r;
        }
        Expr term = x == null ? coef : mul(coef, x);
        if (out == null) return negative ? new Expr.Unary(Expr.Fn.NEG, term) : term;
        return new Expr.Binary(negative ? Expr.Op.SUB : Expr.Op.ADD, out, term);
    }

    static Expr add(Expr a, Expr b) {
        if (a instanceof Expr.Const(double x) && b instanceof Expr.Const(double y)) return new Expr.Const(x + y);
        if (b instanceof Expr.Const(double y) && y == 0) return a;
        if (a instanceof Expr.Const(double x) && x == 0) return b;
        if (b instanceof Expr.Const(double y) && y < 0) return new Expr.Binary(Expr.Op.SUB, a, new Expr.Const(-y));
        if (b instanceof Expr.Binary(Expr.Op op, Expr.Const(double k), Expr r) && op == Expr.Op.MUL && k == -1)
            return new Expr.Binary(Expr.Op.SUB, a, r);
        return new Expr.Binary(Expr.Op.ADD, a, b);
    }

    static Expr mul(Expr a, Expr b) {
        // pull literal factors to the front and multiply them: (-1) * ((-1) * M) -> M
        double k = 1;
        if (a instanceof Expr.Const(double x)) { k *= x; a = null; }
        else if (a instanceof Expr.Binary(Expr.Op op, Expr.Const(double x), Expr r) && op == Expr.Op.MUL) { k *= x; a = r; }
        if (b instanceof Expr.Const(double y)) { k *= y; b = null; }
        else if (b instanceof Expr.Binary(Expr.Op op, Expr.Const(double y), Expr r) && op == Expr.Op.MUL) { k *= y; b = r; }
        Expr rest = a == null ? b : b == null ? a : new Expr.Binary(Expr.Op.MUL, a, b);
        if (k == 0) return ZERO;
        if (rest == null) return new Expr.Const(k);
        return k == 1 ? rest : new Expr.Binary(Expr.Op.MUL, new Expr.Const(k), rest);
    }

    static Expr neg(Expr a) {
        return mul(new Expr.Const(-1), a);
    }
}
