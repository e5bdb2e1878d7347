package einc.runtime;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What a native einc kernel (a shared library written by {@code einc compile --target llvm}) takes and
 * gives, read from {@code kernel.manifest} next to it: the exported symbol, the index order of the
 * extent array, which extents are bound from tensor ranks (and their class), the inputs and outputs
 * with their ranks ({@code m1+} marks an iterative rank holding M1 + 1 entries) and the parameters.
 */
public record NativeManifest(String cascade, String symbol, String library, List<String> indices,
                             Map<String, String> classes, Map<String, List<String>> inputs,
                             Map<String, List<String>> outputs, List<String> params, List<String> defaults) {

    /** The file name of the manifest in a kernel directory. */
    public static final String FILE = "kernel.manifest";

    public NativeManifest {
        indices = List.copyOf(indices);
        classes = Map.copyOf(classes);
        inputs = copy(inputs);
        outputs = copy(outputs);
        params = List.copyOf(params);
        defaults = List.copyOf(defaults);
    }

    private static Map<String, List<String>> copy(Map<String, List<String>> m) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(out);
    }

    public static NativeManifest read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kernel manifest " + file, e);
        }
    }

    public static NativeManifest parse(String text) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!"einc-native-1".equals(p.getProperty("format")))
            throw new IllegalArgumentException("not an einc native kernel manifest (format '" + p.getProperty("format") + "')");
        List<String> indices = words(p, "indices");
        Map<String, String> classes = new LinkedHashMap<>();
        for (String ix : indices) {
            String rep = p.getProperty("class." + ix);
            if (rep != null) classes.put(ix, rep);
        }
        Map<String, List<String>> inputs = new LinkedHashMap<>();
        for (String t : words(p, "inputs")) inputs.put(t, words(p, "input." + t));
        Map<String, List<String>> outputs = new LinkedHashMap<>();
        for (String t : words(p, "outputs")) outputs.put(t, words(p, "output." + t));
        return new NativeManifest(p.getProperty("cascade"), p.getProperty("symbol"), p.getProperty("library"),
                indices, classes, inputs, outputs, words(p, "params"), words(p, "defaults"));
    }

    private static List<String> words(Properties p, String key) {
        String v = p.getProperty(key, "").trim();
        return v.isEmpty() ? List.of() : Arrays.asList(v.split("\\s+"));
    }

    /** The manifest text, keys sorted so that the file is deterministic. */
    public String write() {
        Map<String, String> kv = new TreeMap<>();
        kv.put("format", "einc-native-1");
        kv.put("cascade", cascade);
        kv.put("symbol", symbol);
        if (library != null) kv.put("library", library);
        kv.put("indices", String.join(" ", indices));
        classes.forEach((ix, rep) -> kv.put("class." + ix, rep));
        kv.put("inputs", String.join(" ", inputs.keySet()));
        inputs.forEach((t, r) -> kv.put("input." + t, String.join(" ", r)));
        kv.put("outputs", String.join(" ", outputs.keySet()));
        outputs.forEach((t, r) -> kv.put("output." + t, String.join(" ", r)));
        kv.put("params", String.join(" ", params));
        kv.put("defaults", String.join(" ", defaults));
        StringWriter out = new StringWriter();
        out.write("# einc native kernel: " + cascade + "\n");
        kv.forEach((k, v) -> out.write(k + "=" + v + "\n"));
        return out.toString();
    }

    /** The extents of the ranks named {@code ranks} ({@code x+} holds X + 1 entries). */
    long[] shape(List<String> ranks, long[] extents) {
        long[] shape = new long[ranks.size()];
        for (int k = 0; k < shape.length; k++) {
            String r = ranks.get(k);
            boolean iterative = r.endsWith("+");
            shape[k] = extents[indexOf(iterative ? r.substring(0, r.length() - 1) : r)] + (iterative ? 1 : 0);
        }
        return shape;
    }

    int indexOf(String index) {
        int i = indices.indexOf(index);
        if (i < 0) throw new IllegalArgumentException("cascade '" + cascade + "' has no index '" + index + "'");
        return i;
    }

    static List<String> names(Map<String, ?> m) {
        return new ArrayList<>(m.keySet());
    }
}
