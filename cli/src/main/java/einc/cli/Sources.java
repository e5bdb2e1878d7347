package einc.cli;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.Diagnostic;
import einc.ir.EincException;
import einc.ir.Source;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Reads {@code .ein} files and compiles them with the frontend: the command line's one door to it. */
final class Sources {

    private Sources() {}

    /** The checked cascades of {@code file}. @throws EincException for an unreadable file or an invalid program */
    static List<Cascade> compile(Path file) {
        return compile(read(file));
    }

    /** The checked cascades of a source already read. @throws EincException for an invalid program */
    static List<Cascade> compile(Source source) {
        return Frontend.compile(source);
    }

    /**
     * The cascades of {@code file} that {@code --cascade name} selects: the one so named, or all
     * of them when {@code name} is null. @throws EincException naming the file's cascades when none has that name
     */
    static List<Cascade> select(List<Cascade> cascades, Path file, String name) {
        if (cascades.isEmpty()) throw EincException.plain(Code.UNKNOWN_CASCADE, "'" + file + "' holds no cascade");
        if (name == null) return cascades;
        return List.of(cascades.stream().filter(k -> k.name().equals(name)).findFirst().orElseThrow(() -> new EincException(
                Diagnostic.error(null, Code.UNKNOWN_CASCADE, "'" + file + "' has no cascade '" + name + "'").withHint(those(cascades)))));
    }

    /** The one cascade {@code --cascade name} selects, which may be left out when the file holds one. */
    static Cascade pick(List<Cascade> cascades, Path file, String name) {
        List<Cascade> chosen = select(cascades, file, name);
        if (chosen.size() == 1) return chosen.getFirst();
        throw new EincException(Diagnostic.error(null, Code.UNKNOWN_CASCADE,
                "'" + file + "' holds " + cascades.size() + " cascades; choose one with --cascade NAME").withHint(those(cascades)));
    }

    /** The hint that lists a file's cascades. */
    static String those(List<Cascade> cascades) {
        return "its cascades are " + String.join(", ", cascades.stream().map(Cascade::name).toList());
    }

    /** The text of {@code file}. @throws EincException (code {@code io}) naming the file and the reason */
    static Source read(Path file) {
        try {
            return new Source(file.toString(), Files.readString(file));
        } catch (NoSuchFileException e) {
            throw EincException.plain(Code.IO, "cannot read '" + file + "': no such file");
        } catch (AccessDeniedException e) {
            throw EincException.plain(Code.IO, "cannot read '" + file + "': permission denied");
        } catch (MalformedInputException e) {
            throw EincException.plain(Code.IO, "cannot read '" + file + "': not UTF-8 text");
        } catch (IOException e) {
            throw EincException.plain(Code.IO, "cannot read '" + file + "': " + (Files.isDirectory(file) ? "it is a directory" : e.getMessage()));
        }
    }
}
