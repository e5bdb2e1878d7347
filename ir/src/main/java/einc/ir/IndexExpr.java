package einc.ir;

/**
 * An integer expression in an index position (LANGUAGE.md §5): indices, extents and literals
 * combined affinely, plus floor division and modulo by a constant expression of extents.
 */
public sealed interface IndexExpr {

    /** An index variable, e.g. {@code m0}. */
    record Idx(String name) implements IndexExpr {}

    /** The extent of an index, written in upper case in source: {@code Ext("m0")} prints as {@code M0}. */
    record Ext(String index) implements IndexExpr {}

    /** An integer literal. */
    record Lit(long value) implements IndexExpr {}

    /** {@code a + b}, {@code a - b}, {@code a * b}, {@code a / b} (floor) or {@code a % b} (floor modulo). */
    record IBin(IOp op, IndexExpr a, IndexExpr b) implements IndexExpr {}

    /** {@code -a}. */
    record INeg(IndexExpr a) implements IndexExpr {}

    enum IOp {
        ADD("+", 1), SUB("-", 1), MUL("*", 2), DIV("/", 2), MOD("%", 2);

        public final String symbol;
        public final int precedence;

        IOp(String symbol, int precedence) {
            this.symbol = symbol;
            this.precedence = precedence;
        }
    }

    /** The plain index this expression is, or null when it is anything else. */
    default String plainIndex() {
        return this instanceof Idx(String n) ? n : null;
    }

    static IndexExpr idx(String name) {
        return new Idx(name);
    }
}
