package einc.frontend;

import einc.grammar.EinLexer;
import einc.grammar.EinParser;
import einc.grammar.EinParser.CascadeContext;
import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.Diagnostic;
import einc.ir.EincException;
import einc.ir.Severity;
import einc.ir.Source;
import einc.ir.Span;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.tree.ErrorNode;
import org.antlr.v4.runtime.tree.ParseTree;

/**
 * The frontend: {@code .ein} text to checked cascades. Parses with the ANTLR grammar, then builds
 * and checks each cascade; every mistake of the file is reported at once, as an {@link EincException}.
 */
public final class Frontend {

    private Frontend() {}

    /** Every cascade of {@code source}, checked; throws {@link EincException} with all diagnostics otherwise. */
    public static List<Cascade> compile(Source source) {
        List<Diagnostic> diags = new ArrayList<>();
        List<Cascade> cascades = compile(source, diags);
        if (diags.stream().anyMatch(d -> d.severity() == Severity.ERROR)) throw new EincException(sorted(diags));
        return cascades;
    }

    /** The cascade named {@code name} of {@code source} (the only one when {@code name} is null). */
    public static Cascade compileOne(Source source, String name) {
        List<Cascade> all = compile(source);
        if (name == null) {
            if (all.size() == 1) return all.getFirst();
            throw EincException.plain(Code.UNKNOWN_CASCADE, source.path() + " holds " + all.size()
                    + " cascades (" + String.join(", ", all.stream().map(Cascade::name).toList()) + "): name one");
        }
        for (Cascade c : all) if (c.name().equals(name)) return c;
        throw EincException.plain(Code.UNKNOWN_CASCADE, source.path() + " has no cascade '" + name + "'; it has "
                + String.join(", ", all.stream().map(Cascade::name).toList()));
    }

    private static List<Cascade> compile(Source source, List<Diagnostic> diags) {
        Spans spans = new Spans(source);
        SyntaxErrors syntax = new SyntaxErrors(spans, diags);
        EinLexer lexer = new EinLexer(CharStreams.fromString(source.text(), source.path()));
        lexer.removeErrorListeners();
        lexer.addErrorListener(syntax.lexerListener());
        EinParser parser = new EinParser(new CommonTokenStream(new LineContinuations(lexer)));
        parser.removeErrorListeners();
        parser.setErrorHandler(syntax);
        EinParser.FileContext file = parser.file();
        for (CascadeContext c : file.cascade()) separators(c, syntax, spans);
        boolean syntaxErrors = syntax.any();
        syntax.flush();

        if (file.cascade().isEmpty() && !syntaxErrors) {
            diags.add(Diagnostic.error(new Span(source, 1, 1, 1, 2), Code.SYNTAX, "the file holds no cascade")
                    .withHint("write a block 'cascade NAME { ... }'"));
        }
        List<Cascade> out = new ArrayList<>();
        Map<String, Span> names = new LinkedHashMap<>();
        for (CascadeContext c : file.cascade()) {
            if (c.name == null || c.name.getTokenIndex() < 0) continue;
            String name = c.name.getText();
            Span at = spans.of(c.name);
            Span first = names.putIfAbsent(name, at);
            if (first != null) {
                diags.add(Diagnostic.error(at, Code.DUPLICATE_CASCADE, name)
                        .withHint("give each cascade of a file its own name").withNote("first defined at line " + first.line()));
            }
            if (hasSyntaxErrors(c) || c.getStop() == null || syntax.droppedCharacterWithin(c.getStart().getStartIndex(), c.getStop().getStopIndex())) continue;
            out.add(new CascadeBuilder(spans, diags).build(c));
        }
        return out;
    }

    /** Two items of a cascade must be separated by a newline or ';'. */
    private static void separators(CascadeContext c, SyntaxErrors syntax, Spans spans) {
        boolean previousWasItem = false;
        for (int i = 0; i < c.getChildCount(); i++) {
            ParseTree child = c.getChild(i);
            boolean isItem = child instanceof EinParser.ItemContext;
            if (isItem && previousWasItem) {
                org.antlr.v4.runtime.Token t = ((EinParser.ItemContext) child).getStart();
                syntax.add(spans.of(t), "expected end of line or ';' but found " + SyntaxErrors.describe(t),
                        "write one declaration or statement per line, or separate them with ';'");
            }
            previousWasItem = isItem;
        }
    }

    /** Whether ANTLR had to recover anywhere inside {@code node}: its IR would only add follow-on errors. */
    private static boolean hasSyntaxErrors(ParseTree node) {
        if (node instanceof ErrorNode) return true;
        if (node instanceof ParserRuleContext ctx && ctx.exception != null) return true;
        for (int i = 0; i < node.getChildCount(); i++) if (hasSyntaxErrors(node.getChild(i))) return true;
        return false;
    }

    private static List<Diagnostic> sorted(List<Diagnostic> diags) {
        List<Diagnostic> out = new ArrayList<>(diags);
        out.sort(Comparator.comparingInt((Diagnostic d) -> d.span() == null ? 0 : d.span().line())
                .thenComparingInt(d -> d.span() == null ? 0 : d.span().column()));
        return out;
    }
}
