package einc.ir;

/**
 * {@code split m = (m1, m0) by 64}: {@code m = m1*M0 + m0}, {@code M0 = tile},
 * {@code M1 = ceil(M / M0)}. {@code tile} is a constant expression of extents and literals.
 */
public record Split(String parent, String outer, String inner, IndexExpr tile, Span span) {}
