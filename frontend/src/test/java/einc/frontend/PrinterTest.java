package einc.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.IndexExpr;
import einc.ir.Printer;
import einc.ir.Source;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The printer writes the fewest parentheses and numbers that parse back exactly: checked on random expressions. */
class PrinterTest {

    static final String HEADER = """
            cascade p {
              input A[i, j], B[i]
              output Y[i]
              param s
            """;

    static Einsum parseStatement(String statement) {
        Cascade c = Frontend.compile(new Source("p.ein", HEADER + "  " + statement + "\n}\n")).getFirst();
        return c.definition("Y").orElseThrow();
    }

    static Expr number(Random r, int depth) {
        int pick = depth <= 0 ? r.nextInt(6) : r.nextInt(14);
        return switch (pick) {
            case 0 -> new Expr.Const(constant(r));
            case 1 -> new Expr.Access("A", List.of(IndexExpr.idx("i"), IndexExpr.idx("j")));
            case 2 -> new Expr.Access("B", List.of(index(r, 2)));
            case 3 -> new Expr.ParamRef("s");
            case 4 -> new Expr.ExtentRef(r.nextBoolean() ? "i" : "j");
            case 5 -> new Expr.IndexValue(r.nextBoolean() ? "i" : "j");
            case 6, 7, 8 -> new Expr.Binary(List.of(Expr.Op.ADD, Expr.Op.SUB, Expr.Op.MUL, Expr.Op.DIV).get(r.nextInt(4)),
                    number(r, depth - 1), number(r, depth - 1));
            case 9 -> new Expr.Binary(List.of(Expr.Op.MIN, Expr.Op.MAX, Expr.Op.POW).get(r.nextInt(3)), number(r, depth - 1), number(r, depth - 1));
            case 10 -> new Expr.Unary(Expr.Fn.NEG, number(r, depth - 1));
            case 11 -> {
                Expr.Fn[] fns = Expr.Fn.values();
                Expr.Fn fn = fns[2 + r.nextInt(fns.length - 2)];
                yield new Expr.Unary(fn, number(r, depth - 1));
            }
            case 12 -> new Expr.Select(condition(r, depth - 1), number(r, depth - 1), number(r, depth - 1));
            default -> new Expr.Binary(Expr.Op.MUL, number(r, depth - 1), new Expr.Const(-constant(r)));
        };
    }

    static Expr condition(Random r, int depth) {
        int pick = depth <= 0 ? 0 : r.nextInt(4);
        return switch (pick) {
            case 0 -> new Expr.Binary(List.of(Expr.Op.LT, Expr.Op.LE, Expr.Op.GT, Expr.Op.GE, Expr.Op.EQ, Expr.Op.NE).get(r.nextInt(6)),
                    number(r, depth - 1), number(r, depth - 1));
            case 1 -> new Expr.Binary(Expr.Op.AND, condition(r, depth - 1), condition(r, depth - 1));
            case 2 -> new Expr.Binary(Expr.Op.OR, condition(r, depth - 1), condition(r, depth - 1));
            default -> new Expr.Unary(Expr.Fn.NOT, condition(r, depth - 1));
        };
    }

    static IndexExpr index(Random r, int depth) {
        int pick = depth <= 0 ? r.nextInt(3) : r.nextInt(7);
        return switch (pick) {
            case 0 -> IndexExpr.idx("i");
            case 1 -> new IndexExpr.Ext("j");
            case 2 -> new IndexExpr.Lit(r.nextInt(9) - 4);
            case 3 -> new IndexExpr.IBin(r.nextBoolean() ? IndexExpr.IOp.ADD : IndexExpr.IOp.SUB, index(r, depth - 1), index(r, depth - 1));
            case 4 -> new IndexExpr.IBin(IndexExpr.IOp.MUL, index(r, depth - 1), new IndexExpr.Ext("i"));
            case 5 -> new IndexExpr.IBin(r.nextBoolean() ? IndexExpr.IOp.DIV : IndexExpr.IOp.MOD, index(r, depth - 1), new IndexExpr.Lit(1 + r.nextInt(8)));
            default -> new IndexExpr.INeg(index(r, depth - 1));
        };
    }

    static double constant(Random r) {
        return switch (r.nextInt(7)) {
            case 0 -> r.nextInt(100);
            case 1 -> r.nextDouble();
            case 2 -> r.nextGaussian() * 1e-12;
            case 3 -> r.nextGaussian() * 1e300;
            case 4 -> Double.POSITIVE_INFINITY;
            case 5 -> 0.0;
            default -> Double.longBitsToDouble(r.nextLong() & 0x7fefffffffffffffL);
        };
    }

    @Test
    void randomExpressionsPrintAndParseBackEqual() {
        Random r = new Random(7);
        for (int n = 0; n < 1500; n++) {
            Expr body = number(r, 4);
            Expr where = r.nextInt(3) == 0 ? condition(r, 3) : null;
            String text = "Y[i] = " + Printer.print(body) + (where == null ? "" : " where " + Printer.print(where));
            Einsum e = parseStatement(text);
            assertEquals(body, e.body(), text);
            assertEquals(where, e.where(), text);
        }
    }

    @Test
    void numbersPrintShortAndExact() {
        assertEquals("2", Printer.number(2.0));
        assertEquals("-3", Printer.number(-3.0));
        assertEquals("0.5", Printer.number(0.5));
        assertEquals("1.0e-10", Printer.number(1e-10));
        assertEquals("inf", Printer.number(Double.POSITIVE_INFINITY));
        assertEquals("-inf", Printer.number(Double.NEGATIVE_INFINITY));
        assertEquals("-0", Printer.number(-0.0));
        for (double d : new double[]{0.1, 1.0 / 3, 6.02214076e23, 4.9e-324, Double.MAX_VALUE, 123456789012345678.0}) {
            assertEquals(d, Double.parseDouble(Printer.number(d)));
        }
    }

    @Test
    void parenthesesOnlyWhereTheStructureNeedsThem() {
        assertEquals("Y[i] = (A[i, j] + B[i]) * 2 - (s - 1) :: max(j)",
                Printer.print(cascadeOf("Y[i] = ((A[i, j] + B[i]) * 2) - (s - 1) :: max(j)"),
                        parseStatement("Y[i] = ((A[i, j] + B[i]) * 2) - (s - 1) :: max(j)")));
        assertEquals("Y[i] = -(2) * -B[i] + -3 where !(i < J) && (i > 0 || i == 1)",
                Printer.print(cascadeOf("Y[i] = -(2) * -B[i] + -3 where !(i < J) && (i > 0 || i == 1)"),
                        parseStatement("Y[i] = -(2) * -B[i] + -3 where !(i < J) && (i > 0 || i == 1)")));
        assertEquals("Y[i] = B[i - (1 - J) * I] + B[-(i % 4)] + B[-1]",
                Printer.print(cascadeOf("Y[i] = B[i - (1 - J) * I] + B[-(i % 4)] + B[-1]"),
                        parseStatement("Y[i] = B[i - (1 - J) * I] + B[-(i % 4)] + B[-1]")));
    }

    static Cascade cascadeOf(String statement) {
        return Frontend.compile(new Source("p.ein", HEADER + "  " + statement + "\n}\n")).getFirst();
    }
}
