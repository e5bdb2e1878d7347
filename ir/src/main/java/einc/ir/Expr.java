package einc.ir;

import java.util.List;

/**
 * A scalar expression on the right-hand side of an einsum, in a {@code where} condition or a
 * parameter default. Comparisons and logic yield conditions (true/false); arithmetic yields numbers.
 */
public sealed interface Expr {

    /** A read of {@code tensor} at the given positions (batch ranks explicit after the frontend). */
    record Access(String tensor, List<IndexExpr> indices) implements Expr {
        public Access {
            indices = List.copyOf(indices);
        }
    }

    /** A floating-point literal; {@code inf} is {@link Double#POSITIVE_INFINITY}. */
    record Const(double value) implements Expr {}

    /** A run-time scalar parameter. */
    record ParamRef(String name) implements Expr {}

    /** The extent of an index used as a value ({@code E} for index {@code e}). */
    record ExtentRef(String index) implements Expr {}

    /** The current value of an index used as a number ({@code p - m}). */
    record IndexValue(String index) implements Expr {}

    record Unary(Fn fn, Expr x) implements Expr {}

    record Binary(Op op, Expr a, Expr b) implements Expr {}

    /** {@code select(c, a, b)}: a where c holds, else b. Only the chosen branch is evaluated. */
    record Select(Expr cond, Expr a, Expr b) implements Expr {}

    /** One-argument functions and prefix operators. */
    enum Fn {
        NEG("-"), NOT("!"),
        EXP("exp"), LOG("log"), SQRT("sqrt"), RSQRT("rsqrt"), TANH("tanh"), SIGMOID("sigmoid"),
        SOFTPLUS("softplus"), RELU("relu"), ELU("elu"), ABS("abs"), SIGN("sign");

        public final String spelling;

        Fn(String spelling) {
            this.spelling = spelling;
        }

        public boolean isPrefixOperator() {
            return this == NEG || this == NOT;
        }

        /** The function called {@code name} in source, or null (operators are not callable by name). */
        public static Fn byName(String name) {
            for (Fn f : values()) if (!f.isPrefixOperator() && f.spelling.equals(name)) return f;
            return null;
        }
    }

    /** Two-argument operators and functions ({@code min}, {@code max}, {@code pow}). */
    enum Op {
        ADD("+", 4), SUB("-", 4), MUL("*", 5), DIV("/", 5),
        LT("<", 3), LE("<=", 3), GT(">", 3), GE(">=", 3), EQ("==", 3), NE("!=", 3),
        AND("&&", 2), OR("||", 1),
        MIN("min", 0), MAX("max", 0), POW("pow", 0);

        public final String spelling;
        /** Infix binding strength; 0 for functions written {@code name(a, b)}. */
        public final int precedence;

        Op(String spelling, int precedence) {
            this.spelling = spelling;
            this.precedence = precedence;
        }

        public boolean isFunction() {
            return precedence == 0;
        }

        public boolean isComparison() {
            return precedence == 3;
        }

        public boolean isLogic() {
            return this == AND || this == OR;
        }

        /** The two-argument function called {@code name} in source, or null. */
        public static Op functionByName(String name) {
            for (Op o : values()) if (o.isFunction() && o.spelling.equals(name)) return o;
            return null;
        }
    }
}
