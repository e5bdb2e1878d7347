package einc.testing;

import einc.ir.Dense;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The QA corpus ({@code examples/src/test/resources/qa}): programs written against LANGUAGE.md,
 * each {@code NAME.ein} with its inputs, parameters and numpy-computed outputs in {@code NAME.data}.
 */
public final class QaCorpus {

    private QaCorpus() {}

    /** One program: its file, the cascade to run (null: the first), parameters, inputs and expected outputs. */
    public record Program(Path file, String cascade, Map<String, Double> params, Map<String, Dense> inputs, Map<String, Dense> expected) {

        /** The file's name without {@code .ein}. */
        public String name() {
            return file.getFileName().toString().replaceAll("\\.ein$", "");
        }

        /** The program's source text. */
        public String source() {
            try {
                return Files.readString(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Every program of the corpus under {@code dir}, sorted by name. */
    public static List<Program> programs(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".ein")).sorted()
                    .map(f -> read(f, Path.of(f.toString().replaceAll("\\.ein$", ".data")))).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lines: {@code cascade NAME}, {@code param NAME VALUE}, {@code input|expect NAME D1 D2 ... : V1 V2 ...}. */
    public static Program read(Path file, Path data) {
        String cascade = null;
        Map<String, Double> params = new LinkedHashMap<>();
        Map<String, Dense> inputs = new LinkedHashMap<>(), expected = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String line : lines) {
            String[] w = line.trim().split("\\s+");
            switch (w[0]) {
                case "cascade" -> cascade = w[1];
                case "param" -> params.put(w[1], Double.parseDouble(w[2]));
                case "input", "expect" -> {
                    int colon = Arrays.asList(w).indexOf(":");
                    int[] shape = Arrays.stream(w, 2, colon).mapToInt(Integer::parseInt).toArray();
                    double[] values = Arrays.stream(w, colon + 1, w.length).mapToDouble(Double::parseDouble).toArray();
                    (w[0].equals("input") ? inputs : expected).put(w[1], new Dense(shape, values));
                }
                default -> throw new IllegalStateException(data + ": unexpected line " + line);
            }
        }
        return new Program(file, cascade, params, inputs, expected);
    }
}
