package einc.codegen.llvm;

import einc.ir.Expr;
import einc.ir.IndexExpr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the body of one LLVM IR function as text: fresh SSA names and labels, allocas hoisted to
 * the entry block (so {@code mem2reg} turns them into phis), counted loops, and boolean helpers that
 * fold the constants {@code true} and {@code false} so that statically known flags vanish.
 */
final class IrBuilder {

    /** Fast-math flags on every float operation: no NaN or infinity assumptions (masks use -inf). */
    static final String FM = "reassoc nsz arcp contract afn";

    private final StringBuilder allocas = new StringBuilder();
    private final StringBuilder body = new StringBuilder();
    private int next;

    String tmp() {
        return "%t" + (next++);
    }

    String label(String hint) {
        return hint + "." + (next++);
    }

    /** Emits {@code %t = rhs} and returns {@code %t}. */
    String let(String rhs) {
        String t = tmp();
        body.append("  ").append(t).append(" = ").append(rhs).append('\n');
        return t;
    }

    void line(String s) {
        body.append("  ").append(s).append('\n');
    }

    void place(String label) {
        body.append(label).append(":\n");
    }

    void comment(String s) {
        body.append("  ; ").append(s.replace('\n', ' ')).append('\n');
    }

    /** A stack slot of {@code type} in the entry block. */
    String alloca(String type) {
        String t = "%v" + (next++);
        allocas.append("  ").append(t).append(" = alloca ").append(type).append('\n');
        return t;
    }

    String load(String type, String ptr) {
        return let("load " + type + ", ptr " + ptr);
    }

    void store(String type, String value, String ptr) {
        line("store " + type + " " + value + ", ptr " + ptr);
    }

    String gep(String elemType, String base, String index) {
        if (index.equals("0")) return base;
        return let("getelementptr inbounds " + elemType + ", ptr " + base + ", i64 " + index);
    }

    // --- i64 arithmetic with constant folding

    String add(String a, String b) {
        if (a.equals("0")) return b;
        if (b.equals("0")) return a;
        if (isInt(a) && isInt(b)) return Long.toString(Long.parseLong(a) + Long.parseLong(b));
        return let("add nsw i64 " + a + ", " + b);
    }

    String sub(String a, String b) {
        if (b.equals("0")) return a;
        if (isInt(a) && isInt(b)) return Long.toString(Long.parseLong(a) - Long.parseLong(b));
        return let("sub nsw i64 " + a + ", " + b);
    }

    String mul(String a, String b) {
        if (a.equals("0") || b.equals("0")) return "0";
        if (a.equals("1")) return b;
        if (b.equals("1")) return a;
        if (isInt(a) && isInt(b)) return Long.toString(Long.parseLong(a) * Long.parseLong(b));
        return let("mul nsw i64 " + a + ", " + b);
    }

    static boolean isInt(String s) {
        return !s.isEmpty() && (Character.isDigit(s.charAt(0)) || s.charAt(0) == '-');
    }

    // --- i1 logic with constant folding

    String and(String a, String b) {
        if (a.equals("false") || b.equals("false")) return "false";
        if (a.equals("true")) return b;
        if (b.equals("true")) return a;
        return let("and i1 " + a + ", " + b);
    }

    String or(String a, String b) {
        if (a.equals("true") || b.equals("true")) return "true";
        if (a.equals("false")) return b;
        if (b.equals("false")) return a;
        return let("or i1 " + a + ", " + b);
    }

    String not(String a) {
        if (a.equals("true")) return "false";
        if (a.equals("false")) return "true";
        return let("xor i1 " + a + ", true");
    }

    /** {@code c ? a : b} of {@code type}, folded when {@code c} or the branches are known. */
    /**
     * Integer index expression {@code e} as an i64 value: indices from {@code env}, extents from
     * {@code ext}, floor division and modulo (0 when dividing by 0); {@code where} names the code
     * being emitted in the error for an index with no value there.
     */
    String index(IndexExpr e, Map<String, String> env, Map<String, String> ext, String where) {
        return switch (e) {
            case IndexExpr.Idx(String n) -> {
                String v = env.get(n);
                if (v == null) throw new IllegalStateException("index '" + n + "' has no value in " + where);
                yield v;
            }
            case IndexExpr.Ext(String ix) -> ext.get(ix);
            case IndexExpr.Lit(long v) -> Long.toString(v);
            case IndexExpr.INeg(IndexExpr x) -> sub("0", index(x, env, ext, where));
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr x, IndexExpr y) -> {
                String l = index(x, env, ext, where), r = index(y, env, ext, where);
                yield switch (op) {
                    case ADD -> add(l, r);
                    case SUB -> sub(l, r);
                    case MUL -> mul(l, r);
                    case DIV -> floorDiv(l, r, false);
                    case MOD -> floorDiv(l, r, true);
                };
            }
        };
    }

    private String floorDiv(String l, String r, boolean mod) {
        String zero = isInt(r) ? (Long.parseLong(r) == 0 ? "true" : "false") : let("icmp eq i64 " + r + ", 0");
        if (zero.equals("true")) return "0";
        String d = select(zero, "i64", "1", r);
        String q = let("sdiv i64 " + l + ", " + d);
        String rem = let("srem i64 " + l + ", " + d);
        String nz = let("icmp ne i64 " + rem + ", 0");
        String signs = let("icmp ne i1 " + let("icmp slt i64 " + rem + ", 0") + ", " + let("icmp slt i64 " + d + ", 0"));
        String adjust = and(nz, signs);
        String out = mod ? select(adjust, "i64", add(rem, d), rem) : select(adjust, "i64", sub(q, "1"), q);
        return select(zero, "i64", "0", out);
    }

    String select(String c, String type, String a, String b) {
        if (c.equals("true") || a.equals(b)) return a;
        if (c.equals("false")) return b;
        return let("select i1 " + c + ", " + type + " " + a + ", " + type + " " + b);
    }

    /** Opens {@code for (i = lo; i < hi; i++)} and returns its loop; the caller emits the body, then {@link #close}. */
    Loop open(String hint, String lo, String hi) {
        String slot = alloca("i64");
        store("i64", lo, slot);
        Loop l = new Loop(slot, label(hint + ".head"), label(hint + ".body"), label(hint + ".exit"), new ArrayList<>());
        line("br label %" + l.head);
        place(l.head);
        String i = load("i64", slot);
        String c = let("icmp slt i64 " + i + ", " + hi);
        line("br i1 " + c + ", label %" + l.body + ", label %" + l.exit);
        place(l.body);
        l.value.add(i);
        return l;
    }

    void close(Loop l) {
        String n = let("add nsw i64 " + l.value.getFirst() + ", 1");
        store("i64", n, l.slot);
        line("br label %" + l.head);
        place(l.exit);
    }

    /** Runs what follows only where {@code cond} holds, up to {@link #endIf}; returns the join label. */
    String ifThen(String cond) {
        String then = label("then"), join = label("join");
        line("br i1 " + cond + ", label %" + then + ", label %" + join);
        place(then);
        return join;
    }

    void endIf(String join) {
        line("br label %" + join);
        place(join);
    }

    /** One counted loop: its counter slot, labels and the counter's value in the body. */
    record Loop(String slot, String head, String body, String exit, List<String> value) {
        String index() {
            return value.getFirst();
        }
    }

    /** The function: {@code define} line, entry block with the allocas, body, closing brace. */
    String finish(String header) {
        return header + " {\nentry:\n" + allocas + "  br label %start\nstart:\n" + body + "}\n";
    }

    /** The ordered {@code fcmp} predicate of a comparison ({@code !=} is unordered: true when a side is NaN). */
    static String fcmp(Expr.Op op) {
        return switch (op) {
            case LT -> "olt";
            case LE -> "ole";
            case GT -> "ogt";
            case GE -> "oge";
            case EQ -> "oeq";
            case NE -> "une";
            default -> throw new IllegalArgumentException("not a comparison: " + op);
        };
    }

    /** An f32 constant in the hexadecimal form LLVM IR requires (the double of the rounded float). */
    static String f32(double v) {
        float f = (float) v;
        if (f == 0f && 1f / f > 0) return "0.0";
        return String.format("0x%016X", Double.doubleToRawLongBits(f));
    }
}
