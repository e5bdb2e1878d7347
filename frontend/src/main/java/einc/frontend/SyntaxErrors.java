package einc.frontend;

import einc.grammar.EinLexer;
import einc.grammar.EinParser;
import einc.ir.Code;
import einc.ir.Diagnostic;
import einc.ir.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.FailedPredicateException;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.LexerNoViableAltException;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.Interval;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * Turns ANTLR's syntax errors into {@code syntax} diagnostics ("expected ']' but found ','")
 * with a hint naming what the construct looks like; replaces ANTLR's console listeners. ANTLR's
 * default recovery keeps parsing, so every syntax error of a file is reported.
 */
final class SyntaxErrors extends DefaultErrorStrategy {

    private final Spans spans;
    private final List<Diagnostic> out;
    private final List<Diagnostic> found = new ArrayList<>();
    private final List<Integer> badCharacters = new ArrayList<>();

    SyntaxErrors(Spans spans, List<Diagnostic> out) {
        this.spans = spans;
        this.out = out;
    }

    /** The listener for the lexer: characters that start no token. */
    BaseErrorListener lexerListener() {
        return new BaseErrorListener() {
            @Override
            public void syntaxError(Recognizer<?, ?> recognizer, Object offendingSymbol, int line, int charPositionInLine,
                                    String msg, RecognitionException e) {
                String text = "?";
                if (e instanceof LexerNoViableAltException lx) {
                    int at = lx.getStartIndex();
                    text = lx.getInputStream().getText(Interval.of(at, at));
                    badCharacters.add(at);
                }
                Span span = new Span(spans.source(), line, charPositionInLine + 1, line, charPositionInLine + 2);
                add(span, "unexpected character '" + printable(text) + "'",
                        "names are letters, digits and '_', numbers look like 12, 1.5 or 2e-3, and comments start with '#'");
            }
        };
    }

    @Override
    protected void reportNoViableAlternative(Parser parser, NoViableAltException e) {
        Token t = e.getOffendingToken();
        IntervalSet expected = e.getStartToken() == t ? e.getExpectedTokens() : null;
        String message = expected == null || expected.isNil() ? "unexpected " + describe(t) : "expected " + describe(expected) + " but found " + describe(t);
        add(spans.of(t), message, hint(parser, t));
    }

    @Override
    protected void reportInputMismatch(Parser parser, InputMismatchException e) {
        Token t = e.getOffendingToken();
        add(spans.of(t), "expected " + describe(e.getExpectedTokens()) + " but found " + describe(t), hint(parser, t));
    }

    @Override
    protected void reportFailedPredicate(Parser parser, FailedPredicateException e) {
        Token t = e.getOffendingToken();
        add(spans.of(t), "unexpected " + describe(t), hint(parser, t));
    }

    @Override
    protected void reportUnwantedToken(Parser parser) {
        if (inErrorRecoveryMode(parser)) return;
        beginErrorCondition(parser);
        Token t = parser.getCurrentToken();
        add(spans.of(t), "expected " + describe(getExpectedTokens(parser)) + " but found " + describe(t), hint(parser, t));
    }

    @Override
    protected void reportMissingToken(Parser parser) {
        if (inErrorRecoveryMode(parser)) return;
        beginErrorCondition(parser);
        Token t = parser.getCurrentToken();
        add(spans.of(t), "expected " + describe(getExpectedTokens(parser)) + " but found " + describe(t), hint(parser, t));
    }

    void add(Span span, String message, String hint) {
        found.add(Diagnostic.error(span, Code.SYNTAX, message).withHint(hint));
    }

    /** Whether the lexer dropped a character between the two character offsets (inclusive). */
    boolean droppedCharacterWithin(int from, int to) {
        for (int at : badCharacters) if (at >= from && at <= to) return true;
        return false;
    }

    /** Whether any syntax error was found. */
    boolean any() {
        return !found.isEmpty();
    }

    /**
     * Hands the syntax errors over, one per line: the leftmost, since a second error on a line is
     * almost always a follow-on of the first.
     */
    void flush() {
        Map<Integer, Diagnostic> perLine = new TreeMap<>();
        for (Diagnostic d : found) {
            Diagnostic kept = perLine.get(d.span().line());
            if (kept == null || d.span().column() < kept.span().column()) perLine.put(d.span().line(), d);
        }
        out.addAll(perLine.values());
        found.clear();
    }

    // ------------------------------------------------------------------ words for tokens

    /** "','", "end of line", "name 'foo'". */
    static String describe(Token t) {
        return switch (t.getType()) {
            case Token.EOF -> "end of file";
            case EinLexer.NL -> "end of line";
            case EinLexer.ID -> "name '" + t.getText() + "'";
            case EinLexer.NUMBER -> "number '" + t.getText() + "'";
            default -> "'" + printable(t.getText()) + "'";
        };
    }

    private static final int[] EXPRESSION_STARTS = {EinLexer.ID, EinLexer.NUMBER, EinLexer.INF, EinLexer.LPAREN, EinLexer.MINUS, EinLexer.NOT};
    private static final int[] ITEM_STARTS = {EinLexer.BATCH, EinLexer.INPUT, EinLexer.OUTPUT, EinLexer.PARAM, EinLexer.SPLIT, EinLexer.INIT};
    private static final int[] OPERATORS = {EinLexer.PLUS, EinLexer.MINUS, EinLexer.STAR, EinLexer.SLASH, EinLexer.PERCENT,
            EinLexer.LT, EinLexer.LE, EinLexer.GT, EinLexer.GE, EinLexer.EQ, EinLexer.NE, EinLexer.AND, EinLexer.OR, EinLexer.DCOLON};

    /** The expected tokens in words, grouped ("an expression", "an operator") so lists stay short. */
    static String describe(IntervalSet expected) {
        IntervalSet rest = new IntervalSet(expected);
        List<String> words = new ArrayList<>();
        if (containsAll(rest, ITEM_STARTS)) {
            words.add("a declaration or a statement");
            remove(rest, ITEM_STARTS);
            rest.remove(EinLexer.ID);
        }
        if (rest.contains(EinLexer.ID) && rest.contains(EinLexer.NUMBER) && rest.contains(EinLexer.LPAREN)) {
            words.add("an expression");
            remove(rest, EXPRESSION_STARTS);
        }
        if (containsAll(rest, new int[]{EinLexer.PLUS, EinLexer.STAR, EinLexer.LT})) {
            words.add("an operator");
            remove(rest, OPERATORS);
        }
        for (int type : rest.toList()) {
            words.add(switch (type) {
                case Token.EOF -> "end of file";
                case EinLexer.NL -> "end of line";
                case EinLexer.ID -> "a name";
                case EinLexer.NUMBER -> "a number";
                default -> {
                    String literal = EinParser.VOCABULARY.getLiteralName(type);
                    yield literal != null ? literal : EinParser.VOCABULARY.getDisplayName(type).toLowerCase(java.util.Locale.ROOT);
                }
            });
        }
        if (words.isEmpty()) return "something else";
        if (words.size() == 1) return words.getFirst();
        return String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.getLast();
    }

    private static boolean containsAll(IntervalSet set, int[] types) {
        for (int t : types) if (!set.contains(t)) return false;
        return true;
    }

    private static void remove(IntervalSet set, int[] types) {
        for (int t : types) set.remove(t);
    }

    static String printable(String s) {
        if (s == null) return "?";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c == '\t') sb.append("\\t");
            else if (c < 32 || c == 127) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }

    /** What the construct being parsed looks like. */
    private static String hint(Parser parser, Token found) {
        int rule = parser.getContext() == null ? -1 : parser.getContext().getRuleIndex();
        return switch (rule) {
            case EinParser.RULE_file -> "a file holds blocks 'cascade NAME { ... }'";
            case EinParser.RULE_cascade, EinParser.RULE_sep -> found.getType() == EinLexer.EOF
                    ? "close the cascade with '}'"
                    : "a cascade holds one declaration or statement per line (or separated by ';') between '{' and '}'";
            case EinParser.RULE_item -> "a line is a declaration (batch, input, output, param, split), an init or a statement 'X[i, j] = EXPR'";
            case EinParser.RULE_tensorDecl -> "declare a tensor as NAME[i, j, ...], optionally followed by ': f32', ': f16', ': bf16' or ': f64'";
            case EinParser.RULE_target, EinParser.RULE_targetIndex -> "a left-hand side is NAME[i, j, ...], with 'r + 1' for an iterative rank and 'r = 0' in an init";
            case EinParser.RULE_expr -> found.getType() == EinLexer.NL
                    ? "a statement ends at the end of its line; close every '(' and '[' on the same line"
                    : "an expression combines tensors X[i, j], numbers, names and functions f(a, b) with + - * / and parentheses";
            default -> "see LANGUAGE.md for the syntax";
        };
    }
}
