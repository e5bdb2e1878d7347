package einc.ir;

/** Reduction operators of {@code :: op(ranks)} (LANGUAGE.md §5) and their identities (§6). */
public enum ReduceOp {
    SUM("sum", 0.0), MAX("max", Double.NEGATIVE_INFINITY), MIN("min", Double.POSITIVE_INFINITY), PROD("prod", 1.0);

    private final String spelling;
    private final double identity;

    ReduceOp(String spelling, double identity) {
        this.spelling = spelling;
        this.identity = identity;
    }

    public String spelling() {
        return spelling;
    }

    public double identity() {
        return identity;
    }

    public double combine(double acc, double x) {
        return switch (this) {
            case SUM -> acc + x;
            case MAX -> Math.max(acc, x);
            case MIN -> Math.min(acc, x);
            case PROD -> acc * x;
        };
    }

    public static ReduceOp byName(String s) {
        for (ReduceOp op : values()) if (op.spelling.equals(s)) return op;
        return null;
    }
}
