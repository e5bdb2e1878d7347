package einc.optimizer.rewrite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Golden files: compared as text; {@code -Deinc.updateGolden=true} writes them instead. */
final class Golden {

    private Golden() {}

    static void check(Path file, String actual) throws IOException {
        if (Boolean.getBoolean("einc.updateGolden") || !Files.exists(file)) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, actual);
            if (!Boolean.getBoolean("einc.updateGolden")) throw new AssertionError("wrote missing golden file " + file + "; review it and run again");
            return;
        }
        assertEquals(Files.readString(file), actual, "golden file " + file + " (update with -Deinc.updateGolden=true)");
    }
}
