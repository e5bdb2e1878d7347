package einc.examples;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Dense;
import einc.ir.Extents;
import einc.ir.Interpreter;
import einc.ir.Source;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs an example file the way {@code einc run} does: compile, bind extents, evaluate params, interpret. */
final class Ein {

    private Ein() {}

    /** The module's folder: Maven runs tests there, an IDE may run them from the repository root. */
    static Path examples() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("attention")) ? here : here.resolve("examples");
    }

    /** The one cascade of {@code file} (relative to the examples folder). */
    static Cascade compile(String file) {
        Path path = examples().resolve(file);
        try {
            List<Cascade> cascades = Frontend.compile(new Source(path.toString(), Files.readString(path)));
            if (cascades.size() != 1) throw new AssertionError(file + " holds " + cascades.size() + " cascades, expected 1");
            return cascades.getFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The outputs of {@code file} on {@code inputs}, with {@code params} overriding defaults. */
    static Map<String, Dense> run(String file, Map<String, Dense> inputs, Map<String, Double> params) {
        Cascade cascade = compile(file);
        Map<String, int[]> shapes = new LinkedHashMap<>();
        inputs.forEach((name, tensor) -> shapes.put(name, tensor.shape()));
        Extents extents = Extents.bind(cascade, shapes, Map.of());
        Map<String, Double> values = Interpreter.params(cascade, extents, params);
        return Interpreter.run(cascade, extents, inputs, values);
    }
}
