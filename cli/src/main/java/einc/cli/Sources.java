package einc.cli;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Code;
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
        return Frontend.compile(read(file));
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
