package einc.codegen.cuda;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Source;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Every cascade of the {@code .ein} files under some folders, named {@code ein_<file>_<cascade>}. */
final class EinExamples {

    private EinExamples() {}

    static Map<String, Cascade> under(List<Path> dirs) throws IOException {
        Map<String, Cascade> out = new LinkedHashMap<>();
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) continue;
            List<Path> files;
            try (Stream<Path> s = Files.walk(dir)) {
                files = s.filter(p -> p.toString().endsWith(".ein"))
                        .filter(p -> !dir.relativize(p).startsWith("src") && !dir.relativize(p).startsWith("target")) // test data, not examples
                        .sorted().toList();
            }
            for (Path f : files) {
                String stem = f.getFileName().toString().replace(".ein", "");
                for (Cascade c : Frontend.compile(new Source(f.toString(), Files.readString(f))))
                    out.putIfAbsent("ein_" + stem + "_" + c.name(), c);
            }
        }
        return out;
    }
}
