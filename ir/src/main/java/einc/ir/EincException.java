package einc.ir;

import java.util.List;

/**
 * A mistake of the user's (a bad program, a shape that does not fit, a missing parameter):
 * carries diagnostics to print, never a stack trace. Internal errors are other exceptions.
 */
public final class EincException extends RuntimeException {

    private final List<Diagnostic> diagnostics;

    public EincException(List<Diagnostic> diagnostics) {
        super(diagnostics.isEmpty() ? "error" : diagnostics.getFirst().message());
        this.diagnostics = List.copyOf(diagnostics);
    }

    public EincException(Diagnostic d) {
        this(List.of(d));
    }

    /** An error with no source position (a command-line mistake, a file that cannot be read). */
    public static EincException plain(Code code, Object... args) {
        return new EincException(Diagnostic.error(null, code, args));
    }

    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    public String render() {
        StringBuilder sb = new StringBuilder();
        for (Diagnostic d : diagnostics) sb.append(d.render());
        return sb.toString();
    }
}
