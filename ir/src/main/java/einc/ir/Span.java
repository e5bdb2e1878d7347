package einc.ir;

/**
 * A region of source text: 1-based line and column of its first character, and of the character
 * after its end on the same line. Spans are metadata: they never take part in IR equality, so a
 * cascade printed and parsed back equals the original.
 */
public record Span(Source source, int line, int column, int endLine, int endColumn) {

    /** A span for IR that was built by a rewrite rather than parsed. */
    public static final Span NONE = new Span(new Source("<generated>", ""), 0, 0, 0, 0);

    public String file() {
        return source.path();
    }

    public boolean isNone() {
        return line <= 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Span;
    }

    @Override
    public int hashCode() {
        return 0;
    }

    @Override
    public String toString() {
        return file() + ":" + line + ":" + column;
    }
}
