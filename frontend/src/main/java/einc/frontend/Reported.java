package einc.frontend;

import einc.ir.Diagnostic;
import java.util.List;

/** A diagnostic just added to a list, to which a hint and notes can still be attached. */
final class Reported {

    private final List<Diagnostic> out;
    private final int index;

    Reported(List<Diagnostic> out, Diagnostic d) {
        this.out = out;
        out.add(d);
        this.index = out.size() - 1;
    }

    Reported hint(String hint) {
        out.set(index, out.get(index).withHint(hint));
        return this;
    }

    Reported note(String note) {
        out.set(index, out.get(index).withNote(note));
        return this;
    }
}
