package einc.ir;

import java.util.List;

/**
 * A message to the user about their program: a value with a severity, a source span, a stable
 * code, a concrete lower-case message, an optional hint (what would be valid) and notes.
 */
public record Diagnostic(Severity severity, Span span, Code code, String message, String hint, List<String> notes) {

    public Diagnostic {
        notes = List.copyOf(notes);
    }

    /** An error with the message of {@code code} formatted with {@code args}. */
    public static Diagnostic error(Span span, Code code, Object... args) {
        return new Diagnostic(Severity.ERROR, span, code, code.format(args), null, List.of());
    }

    public Diagnostic withHint(String hint) {
        return new Diagnostic(severity, span, code, message, hint, notes);
    }

    public Diagnostic withNote(String note) {
        List<String> more = new java.util.ArrayList<>(notes);
        more.add(note);
        return new Diagnostic(severity, span, code, message, hint, more);
    }

    /**
     * {@code FILE:LINE:COL: error: MESSAGE}, the source line, a caret line under the culprit,
     * then {@code hint:} and {@code note:} lines.
     */
    public String render() {
        StringBuilder sb = new StringBuilder();
        if (span == null || span.isNone()) {
            sb.append(span == null ? "einc" : span.file()).append(": ");
        } else {
            sb.append(span.file()).append(':').append(span.line()).append(':').append(span.column()).append(": ");
        }
        sb.append(severity.label()).append(": ").append(message).append(" [").append(code.id()).append("]\n");
        if (span != null && !span.isNone()) {
            String line = span.source().line(span.line());
            sb.append(line).append('\n');
            int start = Math.max(1, span.column());
            int end = span.endLine() == span.line() ? Math.max(span.endColumn(), start + 1) : line.length() + 1;
            end = Math.max(start + 1, Math.min(end, Math.max(line.length() + 1, start + 1)));
            StringBuilder caret = new StringBuilder();
            for (int i = 1; i < start; i++) caret.append(i - 1 < line.length() && line.charAt(i - 1) == '\t' ? '\t' : ' ');
            caret.append('^');
            for (int i = start + 1; i < end; i++) caret.append('~');
            sb.append(caret).append('\n');
        }
        if (hint != null) sb.append("hint: ").append(hint).append('\n');
        for (String n : notes) sb.append("note: ").append(n).append('\n');
        return sb.toString();
    }
}
