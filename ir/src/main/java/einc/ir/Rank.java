package einc.ir;

/**
 * One rank (dimension) of a tensor, named by the index that declared it. An iterative rank
 * ({@code X[r + 1, ...]} on a left-hand side, LANGUAGE.md §7) holds R + 1 entries.
 */
public record Rank(String index, boolean iterative) {

    public static Rank of(String index) {
        return new Rank(index, false);
    }
}
