package einc.frontend;

import einc.grammar.EinLexer;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenFactory;
import org.antlr.v4.runtime.TokenSource;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Drops a newline inside parentheses or brackets when the line so far cannot end there (it ends
 * with '(', '[', ',' or an operator) or the next line cannot start a statement (it starts with
 * ')', ']', ',' or a binary operator), so that a long expression may continue on the next line.
 * Any other newline ends the statement, as LANGUAGE.md §2 says, which keeps syntax errors on the
 * line that has them.
 */
final class LineContinuations implements TokenSource {

    private final TokenSource lexer;
    private int depth;
    private int previousType = Token.INVALID_TYPE;
    private final Deque<Token> ahead = new ArrayDeque<>();

    LineContinuations(TokenSource lexer) {
        this.lexer = lexer;
    }

    @Override
    public Token nextToken() {
        while (true) {
            Token t = next();
            switch (t.getType()) {
                case EinLexer.LPAREN, EinLexer.LBRACK -> depth++;
                case EinLexer.RPAREN, EinLexer.RBRACK -> depth = Math.max(0, depth - 1);
                case EinLexer.LBRACE, EinLexer.RBRACE -> depth = 0;
                case EinLexer.NL -> {
                    if (depth > 0 && (continues(previousType) || continuation(firstAfterNewlines()))) continue;
                }
                default -> {}
            }
            previousType = t.getType();
            return t;
        }
    }

    private Token next() {
        return ahead.isEmpty() ? lexer.nextToken() : ahead.removeFirst();
    }

    /** The type of the first token after the newlines that follow, which stay to be read. */
    private int firstAfterNewlines() {
        for (Token t : ahead) {
            if (t.getType() != EinLexer.NL) return t.getType();
        }
        while (true) {
            Token t = lexer.nextToken();
            ahead.addLast(t);
            if (t.getType() != EinLexer.NL) return t.getType();
        }
    }

    /** Whether a line starting with a token of this type continues the line before (no statement starts so). */
    private static boolean continuation(int type) {
        return switch (type) {
            case EinLexer.RPAREN, EinLexer.RBRACK, EinLexer.COMMA, EinLexer.DCOLON,
                 EinLexer.PLUS, EinLexer.MINUS, EinLexer.STAR, EinLexer.SLASH, EinLexer.PERCENT,
                 EinLexer.LT, EinLexer.LE, EinLexer.GT, EinLexer.GE, EinLexer.EQ, EinLexer.NE,
                 EinLexer.AND, EinLexer.OR -> true;
            default -> false;
        };
    }

    private static boolean continues(int type) {
        return switch (type) {
            case EinLexer.LPAREN, EinLexer.LBRACK, EinLexer.COMMA, EinLexer.NL,
                 EinLexer.PLUS, EinLexer.MINUS, EinLexer.STAR, EinLexer.SLASH, EinLexer.PERCENT,
                 EinLexer.LT, EinLexer.LE, EinLexer.GT, EinLexer.GE, EinLexer.EQ, EinLexer.NE,
                 EinLexer.AND, EinLexer.OR, EinLexer.NOT, EinLexer.ASSIGN -> true;
            default -> false;
        };
    }

    @Override
    public int getLine() {
        return lexer.getLine();
    }

    @Override
    public int getCharPositionInLine() {
        return lexer.getCharPositionInLine();
    }

    @Override
    public CharStream getInputStream() {
        return lexer.getInputStream();
    }

    @Override
    public String getSourceName() {
        return lexer.getSourceName();
    }

    @Override
    public void setTokenFactory(TokenFactory<?> factory) {
        lexer.setTokenFactory(factory);
    }

    @Override
    public TokenFactory<?> getTokenFactory() {
        return lexer.getTokenFactory();
    }
}
