package einc.runtime;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * What a compiled kernel takes and gives: its tensors (names, ranks, element types), parameters
 * and the rules that bind every extent from tensor shapes. Binds and checks shapes at run time
 * with no compiler classes; reads and writes itself as a manifest.
 */
public record Signature(String cascade, List<TensorSpec> inputs, List<TensorSpec> outputs,
                        List<ParamSpec> params, List<IndexSpec> indices) {

    public Signature {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        params = List.copyOf(params);
        indices = List.copyOf(indices);
    }

    /** A tensor of the signature; {@code iterative.get(k)} says rank k holds its extent + 1 entries. */
    public record TensorSpec(String name, ElementType type, List<String> ranks, List<Boolean> iterative) {
        public TensorSpec {
            ranks = List.copyOf(ranks);
            iterative = List.copyOf(iterative);
        }
    }

    /** A run-time scalar parameter; without a default it must be given. */
    public record ParamSpec(String name, boolean hasDefault) {}

    /**
     * How an index's extent is found: {@code BOUND} shares the class of {@code parent} (itself for
     * the representative); {@code OUTER} is {@code ceil(parent / tile)}; {@code INNER} is {@code tile}.
     * {@code tile} is a postfix integer expression over extents (index names) and literals.
     */
    public record IndexSpec(String name, Kind kind, String parent, String tile) {
        public enum Kind { BOUND, OUTER, INNER }
    }

    // --- binding

    /**
     * The extent of every index (signature order) from the shapes of the given tensors (inputs and
     * outputs, by name) and {@code explicit} extents (by index name).
     *
     * @throws KernelException naming the tensor, the rank and both extents when shapes disagree
     */
    public int[] bind(Map<String, long[]> shapes, Map<String, Long> explicit) {
        Map<String, Long> classValue = new LinkedHashMap<>();
        Map<String, String> classSource = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : explicit.entrySet()) {
            IndexSpec ix = index(e.getKey());
            if (ix == null) throw new KernelException("cascade '" + cascade + "' has no index '" + e.getKey() + "'");
            if (ix.kind() == IndexSpec.Kind.BOUND) give(classValue, classSource, ix, e.getValue(), "--shape", -1, null);
        }
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            TensorSpec t = tensor(e.getKey());
            if (t == null) throw new KernelException("cascade '" + cascade + "' has no tensor '" + e.getKey() + "'; its tensors are " + tensorNames());
            long[] shape = e.getValue();
            if (shape.length != t.ranks().size())
                throw new KernelException(role(t) + " '" + t.name() + "' has " + t.ranks().size() + " ranks " + t.ranks()
                        + " but the tensor given has " + shape.length + " " + Arrays.toString(shape));
            for (int k = 0; k < shape.length; k++) {
                IndexSpec ix = index(t.ranks().get(k));
                long v = shape[k] - (t.iterative().get(k) ? 1 : 0);
                if (ix.kind() == IndexSpec.Kind.BOUND) give(classValue, classSource, ix, v, t.name(), k, t);
            }
        }
        Map<String, Long> values = new LinkedHashMap<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (IndexSpec ix : indices) {
                if (values.containsKey(ix.name())) continue;
                Long v = switch (ix.kind()) {
                    case BOUND -> classValue.get(ix.parent());
                    case INNER -> evalTile(ix.tile(), values);
                    case OUTER -> {
                        Long parent = values.get(ix.parent());
                        Long tile = evalTile(ix.tile(), values);
                        yield parent == null || tile == null ? null : (parent + tile - 1) / tile;
                    }
                };
                if (v != null) {
                    if (v < 0 || v == 0 && ix.kind() == IndexSpec.Kind.INNER) {
                        throw new KernelException("extent of index '" + ix.name() + "' is " + v + ", it must be " + (v < 0 ? "0 or more" : "positive (a split's tile)"));
                    }
                    values.put(ix.name(), v);
                    changed = true;
                }
            }
        }
        int[] out = new int[indices.size()];
        for (int i = 0; i < out.length; i++) {
            Long v = values.get(indices.get(i).name());
            if (v == null) throw new KernelException("the extent of index '" + indices.get(i).name() + "' cannot be determined from the tensors given");
            if (v > Integer.MAX_VALUE - 1) throw new KernelException("extent of index '" + indices.get(i).name() + "' is too large: " + v);
            out[i] = (int) (long) v;
        }
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            TensorSpec t = tensor(e.getKey());
            long[] want = shape(t, out);
            for (int k = 0; k < want.length; k++)
                if (e.getValue()[k] != want[k])
                    throw new KernelException(role(t) + " '" + t.name() + "' has extent " + e.getValue()[k] + " at rank " + (k + 1)
                            + " ('" + t.ranks().get(k) + "') but the cascade needs " + want[k] + " there");
        }
        return out;
    }

    private void give(Map<String, Long> classValue, Map<String, String> classSource, IndexSpec ix, long v, String source, int rank, TensorSpec t) {
        String rep = ix.parent();
        Long old = classValue.get(rep);
        String here = t == null ? "--shape" : role(t) + " '" + source + "' at rank " + (rank + 1) + " ('" + ix.name() + "')";
        if (old == null) {
            classValue.put(rep, v);
            classSource.put(rep, here);
        } else if (old != v) {
            throw new KernelException("index '" + ix.name() + "' has extent " + v + " in " + here + " but " + old + " in " + classSource.get(rep));
        }
    }

    /** The shape of {@code t} under bound {@code extents}. */
    public long[] shape(TensorSpec t, int[] extents) {
        long[] shape = new long[t.ranks().size()];
        for (int k = 0; k < shape.length; k++)
            shape[k] = extents[indexPosition(t.ranks().get(k))] + (t.iterative().get(k) ? 1 : 0);
        return shape;
    }

    /** Zero-filled f32 heap outputs for the extents that {@code inputs} and {@code explicit} bind. */
    public Map<String, Tensor> allocateOutputs(Map<String, Tensor> inputs, Map<String, Long> explicit) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) shapes.put(e.getKey(), e.getValue().shape());
        int[] x = bind(shapes, explicit);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (TensorSpec t : outputs) out.put(t.name(), Tensor.zeros(ElementType.F32, shape(t, x)));
        return out;
    }

    public int indexPosition(String index) {
        for (int i = 0; i < indices.size(); i++) if (indices.get(i).name().equals(index)) return i;
        throw new IllegalArgumentException("no index '" + index + "' in cascade '" + cascade + "'");
    }

    private IndexSpec index(String name) {
        for (IndexSpec ix : indices) if (ix.name().equals(name)) return ix;
        return null;
    }

    public TensorSpec tensor(String name) {
        for (TensorSpec t : inputs) if (t.name().equals(name)) return t;
        for (TensorSpec t : outputs) if (t.name().equals(name)) return t;
        return null;
    }

    private List<String> tensorNames() {
        List<String> names = new ArrayList<>();
        inputs.forEach(t -> names.add(t.name()));
        outputs.forEach(t -> names.add(t.name()));
        return names;
    }

    private String role(TensorSpec t) {
        return inputs.contains(t) ? "input" : "output";
    }

    /** Evaluates a postfix tile expression; null while an extent it names is not known yet. */
    static Long evalTile(String tile, Map<String, Long> values) {
        List<Long> stack = new ArrayList<>();
        for (String tok : tile.trim().split("\\s+")) {
            if (Character.isDigit(tok.charAt(0))) {
                stack.add(Long.parseLong(tok));
            } else if (tok.equals("neg")) {
                stack.add(-stack.removeLast());
            } else if (tok.length() == 1 && "+-*/%".contains(tok)) {
                long b = stack.removeLast(), a = stack.removeLast();
                stack.add(switch (tok) {
                    case "+" -> a + b;
                    case "-" -> a - b;
                    case "*" -> a * b;
                    case "/" -> b == 0 ? 0 : Math.floorDiv(a, b);
                    default -> b == 0 ? 0 : Math.floorMod(a, b);
                });
            } else {
                Long v = values.get(tok);
                if (v == null) return null;
                stack.add(v);
            }
        }
        return stack.getLast();
    }

    // --- manifest

    /** The manifest lines of this signature (deterministic order). */
    public String toManifest() {
        StringBuilder sb = new StringBuilder();
        sb.append("cascade = ").append(cascade).append('\n');
        for (int i = 0; i < inputs.size(); i++) sb.append("input.").append(i).append(" = ").append(tensorLine(inputs.get(i))).append('\n');
        for (int i = 0; i < outputs.size(); i++) sb.append("output.").append(i).append(" = ").append(tensorLine(outputs.get(i))).append('\n');
        for (int i = 0; i < params.size(); i++)
            sb.append("param.").append(i).append(" = ").append(params.get(i).name()).append(params.get(i).hasDefault() ? " default" : " required").append('\n');
        for (int i = 0; i < indices.size(); i++) {
            IndexSpec ix = indices.get(i);
            sb.append("index.").append(i).append(" = ").append(ix.name()).append(' ').append(ix.kind().name().toLowerCase(Locale.ROOT));
            if (ix.kind() != IndexSpec.Kind.INNER) sb.append(' ').append(ix.parent());
            if (ix.kind() != IndexSpec.Kind.BOUND) sb.append(" : ").append(ix.tile());
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String tensorLine(TensorSpec t) {
        StringBuilder sb = new StringBuilder(t.name()).append(' ').append(t.type().spelling());
        for (int k = 0; k < t.ranks().size(); k++) sb.append(' ').append(t.ranks().get(k)).append(t.iterative().get(k) ? "+1" : "");
        return sb.toString();
    }

    /** Reads a signature back from manifest text. */
    public static Signature fromManifest(String text) {
        Properties p = new Properties();
        try (Reader r = new StringReader(text)) {
            p.load(r);
        } catch (IOException e) {
            throw new KernelException("unreadable manifest: " + e.getMessage());
        }
        String cascade = required(p, "cascade");
        List<TensorSpec> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        for (int i = 0; p.containsKey("input." + i); i++) inputs.add(parseTensor(p.getProperty("input." + i)));
        for (int i = 0; p.containsKey("output." + i); i++) outputs.add(parseTensor(p.getProperty("output." + i)));
        List<ParamSpec> params = new ArrayList<>();
        for (int i = 0; p.containsKey("param." + i); i++) {
            String[] w = p.getProperty("param." + i).trim().split("\\s+");
            params.add(new ParamSpec(w[0], w.length > 1 && w[1].equals("default")));
        }
        List<IndexSpec> indices = new ArrayList<>();
        for (int i = 0; p.containsKey("index." + i); i++) {
            String line = p.getProperty("index." + i).trim();
            String tile = null;
            int colon = line.indexOf(" : ");
            if (colon >= 0) {
                tile = line.substring(colon + 3).trim();
                line = line.substring(0, colon);
            }
            String[] w = line.split("\\s+");
            IndexSpec.Kind kind = IndexSpec.Kind.valueOf(w[1].toUpperCase(Locale.ROOT));
            indices.add(new IndexSpec(w[0], kind, kind == IndexSpec.Kind.INNER ? null : w[2], tile));
        }
        return new Signature(cascade, inputs, outputs, params, indices);
    }

    static String required(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) throw new KernelException("manifest has no '" + key + "'");
        return v.trim();
    }

    private static TensorSpec parseTensor(String line) {
        String[] w = line.trim().split("\\s+");
        ElementType type = ElementType.valueOf(w[1].toUpperCase(Locale.ROOT));
        List<String> ranks = new ArrayList<>();
        List<Boolean> iterative = new ArrayList<>();
        for (int k = 2; k < w.length; k++) {
            boolean it = w[k].endsWith("+1");
            ranks.add(it ? w[k].substring(0, w[k].length() - 2) : w[k]);
            iterative.add(it);
        }
        return new TensorSpec(w[0], type, ranks, iterative);
    }
}
