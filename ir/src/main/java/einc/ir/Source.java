package einc.ir;

import java.util.List;

/** A source text with its file name, kept so diagnostics can quote the offending line. */
public record Source(String path, String text) {

    /** The 1-based line {@code line} without its terminator, or "" when out of range. */
    public String line(int line) {
        List<String> lines = text.lines().toList();
        return line >= 1 && line <= lines.size() ? lines.get(line - 1) : "";
    }

    @Override
    public String toString() {
        return "Source[" + path + "]";
    }
}
