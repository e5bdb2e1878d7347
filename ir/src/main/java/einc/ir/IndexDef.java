package einc.ir;

/**
 * How an index's extent is found when the cascade is bound to tensors. Inferred by the frontend;
 * {@code span} is the index's first use.
 */
public record IndexDef(String name, Rule rule, Span span) {

    /** The extent rules. */
    public sealed interface Rule {}

    /**
     * The extent is bound from a tensor dimension or given explicitly; every index of one class
     * (indices used at the same tensor rank) shares it, and {@code representative} names the class.
     */
    public record Bound(String representative) implements Rule {}

    /** {@code m1} of {@code split m = (m1, m0) by T}: {@code ceil(M / T)}. */
    public record SplitOuter(String parent, IndexExpr tile) implements Rule {}

    /** {@code m0} of {@code split m = (m1, m0) by T}: {@code T}. */
    public record SplitInner(String parent, IndexExpr tile) implements Rule {}

    /** The name of an extent in source: upper case of the index name. */
    public static String extentName(String index) {
        return index.toUpperCase(java.util.Locale.ROOT);
    }
}
