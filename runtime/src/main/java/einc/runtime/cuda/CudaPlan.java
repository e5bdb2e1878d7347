package einc.runtime.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a compiled CUDA cascade needs at run time, free of the compiler: how extents follow from
 * input shapes, the device buffers, the parameters, and the kernel launches in order (host loops
 * for recurrences). Every kernel takes one argument block of 64-bit slots: extents, then buffer
 * addresses, then presence addresses, then the parameter buffer, then the step of the enclosing loop.
 * Written to and read from a small text manifest, so an app loads an AOT kernel without einc's compiler.
 */
public record CudaPlan(String name, List<ExtentRule> extents, List<Buffer> buffers, List<ParamSpec> params, List<Step> steps) {

    public CudaPlan {
        extents = List.copyOf(extents);
        buffers = List.copyOf(buffers);
        params = List.copyOf(params);
        steps = List.copyOf(steps);
    }

    /** A run-time scalar; without a default the caller must give it. Values live in a device buffer of 2 floats per parameter (value, given). */
    public record ParamSpec(String name, boolean hasDefault) {}

    /** How one extent is found: from an input's rank, from a split of another extent, or given. */
    public record ExtentRule(String index, Kind kind, String tensor, int rank, String parent, long tile) {
        public enum Kind { INPUT, SPLIT_OUTER, SPLIT_INNER, GIVEN }

        public static ExtentRule input(String index, String tensor, int rank) {
            return new ExtentRule(index, Kind.INPUT, tensor, rank, null, 0);
        }

        public static ExtentRule splitOuter(String index, String parent, long tile) {
            return new ExtentRule(index, Kind.SPLIT_OUTER, null, -1, parent, tile);
        }

        public static ExtentRule splitInner(String index, long tile) {
            return new ExtentRule(index, Kind.SPLIT_INNER, null, -1, null, tile);
        }

        public static ExtentRule given(String index) {
            return new ExtentRule(index, Kind.GIVEN, null, -1, null, 0);
        }
    }

    /** The element types a device buffer may hold. */
    public enum Type {
        F32(4), F64(8), F16(2), BF16(2);

        public final int bytes;

        Type(int bytes) {
            this.bytes = bytes;
        }

        public String spelling() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Type parse(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }

    /** Whether a buffer is given by the caller, returned to it, or lives only on the device. */
    public enum Role { INPUT, OUTPUT, TEMP }

    /** One rank of a buffer: an extent, plus one for an iterative rank. */
    public record Dim(String index, boolean plusOne) {}

    /** A device buffer; {@code presence} adds a byte per element saying which entries exist. */
    public record Buffer(String name, Role role, Type type, boolean presence, List<Dim> shape) {
        public Buffer {
            shape = List.copyOf(shape);
        }
    }

    /** A grid dimension: the product of some extents, divided by {@code divisor} and rounded up. */
    public record Grid(List<String> extents, long divisor) {
        public Grid {
            extents = List.copyOf(extents);
        }

        public static final Grid ONE = new Grid(List.of(), 1);
    }

    /** A step of the plan. */
    public sealed interface Step {}

    /**
     * One kernel launch. A launch with {@code headExtents} is specialized for the head dimension:
     * its kernel name holds {@code {D}}, replaced by 64 when every one of those extents is at most 64
     * and by 128 when at most 128, with {@code sharedBytes} or {@code sharedBytes128} of dynamic shared memory.
     */
    public record Launch(String kernel, Grid x, Grid y, Grid z, int block, int sharedBytes, List<String> headExtents, int sharedBytes128) implements Step {
        public Launch {
            headExtents = List.copyOf(headExtents);
        }

        public Launch(String kernel, Grid x, Grid y, Grid z, int block, int sharedBytes) {
            this(kernel, x, y, z, block, sharedBytes, List.of(), sharedBytes);
        }
    }

    /** A host loop {@code for step in 0 .. extent-1} around {@code body}; the step reaches every launch of the body. */
    public record Loop(String extent, List<Step> body) implements Step {
        public Loop {
            body = List.copyOf(body);
        }
    }

    /** The number of 64-bit slots in the argument block of every kernel. */
    public int slotCount() {
        return extents.size() + buffers.size() + (int) buffers.stream().filter(Buffer::presence).count() + 1;
    }

    /** The manifest text; {@link #parse} reads it back. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("plan ").append(name).append('\n');
        for (ExtentRule e : extents) {
            sb.append("extent ").append(e.index()).append(' ');
            switch (e.kind()) {
                case INPUT -> sb.append("input ").append(e.tensor()).append(' ').append(e.rank());
                case SPLIT_OUTER -> sb.append("split-outer ").append(e.parent()).append(' ').append(e.tile());
                case SPLIT_INNER -> sb.append("split-inner ").append(e.tile());
                case GIVEN -> sb.append("given");
            }
            sb.append('\n');
        }
        for (Buffer b : buffers) {
            sb.append("buffer ").append(b.name()).append(' ').append(b.role().name().toLowerCase(Locale.ROOT)).append(' ')
                    .append(b.type().spelling()).append(' ').append(b.presence() ? "presence" : "dense");
            for (Dim d : b.shape()) sb.append(' ').append(d.index()).append(d.plusOne() ? "+1" : "");
            sb.append('\n');
        }
        for (ParamSpec p : params) sb.append("param ").append(p.name()).append(p.hasDefault() ? " default" : " required").append('\n');
        writeSteps(sb, steps, "");
        return sb.toString();
    }

    private static void writeSteps(StringBuilder sb, List<Step> steps, String indent) {
        for (Step s : steps) {
            switch (s) {
                case Launch l -> sb.append(indent).append("launch ").append(l.kernel()).append(' ')
                        .append(grid(l.x())).append(' ').append(grid(l.y())).append(' ').append(grid(l.z()))
                        .append(' ').append(l.block()).append(' ').append(l.sharedBytes())
                        .append(l.headExtents().isEmpty() ? "" : " head=" + String.join(",", l.headExtents()) + " " + l.sharedBytes128()).append('\n');
                case Loop lp -> {
                    sb.append(indent).append("loop ").append(lp.extent()).append('\n');
                    writeSteps(sb, lp.body(), indent + "  ");
                    sb.append(indent).append("end\n");
                }
            }
        }
    }

    private static String grid(Grid g) {
        return (g.extents().isEmpty() ? "1" : String.join("*", g.extents())) + "/" + g.divisor();
    }

    private static Grid parseGrid(String s) {
        int slash = s.indexOf('/');
        String prod = s.substring(0, slash);
        List<String> ex = prod.equals("1") ? List.of() : List.of(prod.split("\\*"));
        return new Grid(ex, Long.parseLong(s.substring(slash + 1)));
    }

    /** Reads a manifest written by {@link #toText}. */
    public static CudaPlan parse(String text) {
        String[] lines = text.split("\n");
        String name = null;
        List<ExtentRule> extents = new ArrayList<>();
        List<Buffer> buffers = new ArrayList<>();
        List<ParamSpec> params = new ArrayList<>();
        List<List<Step>> stack = new ArrayList<>();
        List<String> loopExtents = new ArrayList<>();
        stack.add(new ArrayList<>());
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty()) continue;
            String[] w = line.split(" ");
            switch (w[0]) {
                case "plan" -> name = w[1];
                case "extent" -> extents.add(switch (w[2]) {
                    case "input" -> ExtentRule.input(w[1], w[3], Integer.parseInt(w[4]));
                    case "split-outer" -> ExtentRule.splitOuter(w[1], w[3], Long.parseLong(w[4]));
                    case "split-inner" -> ExtentRule.splitInner(w[1], Long.parseLong(w[3]));
                    case "given" -> ExtentRule.given(w[1]);
                    default -> throw new IllegalArgumentException("bad extent line in cuda plan: " + line);
                });
                case "buffer" -> {
                    List<Dim> dims = new ArrayList<>();
                    for (int i = 5; i < w.length; i++)
                        dims.add(w[i].endsWith("+1") ? new Dim(w[i].substring(0, w[i].length() - 2), true) : new Dim(w[i], false));
                    buffers.add(new Buffer(w[1], Role.valueOf(w[2].toUpperCase(Locale.ROOT)), Type.parse(w[3]), w[4].equals("presence"), dims));
                }
                case "param" -> params.add(new ParamSpec(w[1], w[2].equals("default")));
                case "launch" -> stack.getLast().add(w.length > 7
                        ? new Launch(w[1], parseGrid(w[2]), parseGrid(w[3]), parseGrid(w[4]), Integer.parseInt(w[5]), Integer.parseInt(w[6]),
                                List.of(w[7].substring(5).split(",")), Integer.parseInt(w[8]))
                        : new Launch(w[1], parseGrid(w[2]), parseGrid(w[3]), parseGrid(w[4]), Integer.parseInt(w[5]), Integer.parseInt(w[6])));
                case "loop" -> {
                    loopExtents.add(w[1]);
                    stack.add(new ArrayList<>());
                }
                case "end" -> {
                    List<Step> body = stack.removeLast();
                    stack.getLast().add(new Loop(loopExtents.removeLast(), body));
                }
                default -> throw new IllegalArgumentException("bad line in cuda plan: " + line);
            }
        }
        if (name == null || stack.size() != 1) throw new IllegalArgumentException("cuda plan is incomplete");
        return new CudaPlan(name, extents, buffers, params, stack.getFirst());
    }
}
