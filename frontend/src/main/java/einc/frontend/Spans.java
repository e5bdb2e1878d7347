package einc.frontend;

import einc.ir.Source;
import einc.ir.Span;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

/** Source spans of tokens and parse-tree nodes (ANTLR columns are 0-based, ours 1-based). */
final class Spans {

    private final Source source;

    Spans(Source source) {
        this.source = source;
    }

    Span of(Token t) {
        if (t == null) return Span.NONE;
        int col = t.getCharPositionInLine() + 1;
        int width = t.getType() == Token.EOF || t.getText() == null || t.getText().isEmpty() ? 1 : t.getText().length();
        String text = t.getText();
        if (text != null && (text.contains("\n") || text.contains("\r"))) width = 1;
        return new Span(source, t.getLine(), col, t.getLine(), col + width);
    }

    Span of(ParserRuleContext ctx) {
        if (ctx == null) return Span.NONE;
        Token start = ctx.getStart();
        Token stop = ctx.getStop();
        if (stop == null || stop.getTokenIndex() < start.getTokenIndex()) return of(start);
        Span a = of(start);
        Span b = of(stop);
        return new Span(source, a.line(), a.column(), b.endLine(), b.endColumn());
    }

    /** From the start of {@code a} to the end of {@code b}. */
    Span between(Span a, Span b) {
        return new Span(source, a.line(), a.column(), b.endLine(), b.endColumn());
    }

    Source source() {
        return source;
    }
}
