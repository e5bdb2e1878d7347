package einc.runtime.cuda;

import einc.runtime.cuda.CudaPlan.Buffer;
import einc.runtime.cuda.CudaPlan.Dim;
import einc.runtime.cuda.CudaPlan.ExtentRule;
import einc.runtime.cuda.CudaPlan.Grid;
import einc.runtime.cuda.CudaPlan.Launch;
import einc.runtime.cuda.CudaPlan.Loop;
import einc.runtime.cuda.CudaPlan.ParamSpec;
import einc.runtime.cuda.CudaPlan.Step;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUfunc_st;

/**
 * A compiled CUDA cascade ready to run: its plan and its loaded module. {@link #bind} checks the
 * input shapes against the plan and gives a {@link Session} holding device buffers; host data moves
 * in and out explicitly as {@link MemorySegment}s in the declared element types.
 */
public final class CudaKernel {

    /** The manifest and image file names of an ahead-of-time kernel folder. */
    public static final String PLAN_FILE = "plan.txt", CUBIN_FILE = "kernel.cubin", SOURCE_FILE = "kernel.cu";

    private final Cuda cuda;
    private final CudaPlan plan;
    private final Cuda.Module module;
    private final Map<String, CUfunc_st> functions = new LinkedHashMap<>();

    private CudaKernel(Cuda cuda, CudaPlan plan, Cuda.Module module) {
        this.cuda = cuda;
        this.plan = plan;
        this.module = module;
    }

    /** Compiles {@code source} with NVRTC for this GPU (or takes the cubin from the cache) and loads it. */
    public static CudaKernel jit(CudaPlan plan, String source) {
        Cuda cuda = Cuda.open();
        // a Hopper (compute capability 9.0) compiles for sm_90a, whose kernels may use wgmma
        String arch = cuda.arch().equals("sm_90") ? "sm_90a" : cuda.arch();
        String key = CubinCache.key(source, arch, "nvrtc " + Nvrtc.version());
        byte[] cubin = CubinCache.standard().get(key, () -> Nvrtc.compile(source, plan.name() + ".cu", arch));
        return new CudaKernel(cuda, plan, cuda.load(cubin));
    }

    /** Loads an image built ahead of time (cubin or PTX); no NVRTC involved. */
    public static CudaKernel load(CudaPlan plan, byte[] image) {
        Cuda cuda = Cuda.open();
        return new CudaKernel(cuda, plan, cuda.load(image));
    }

    /** Loads a folder written by {@code einc compile --target cuda}: {@value #PLAN_FILE} and {@value #CUBIN_FILE}. */
    public static CudaKernel load(Path dir) {
        try {
            CudaPlan plan = CudaPlan.parse(Files.readString(dir.resolve(PLAN_FILE)));
            return load(plan, Files.readAllBytes(dir.resolve(CUBIN_FILE)));
        } catch (IOException e) {
            throw new CudaException("cannot read the CUDA kernel in " + dir + ": " + e.getMessage());
        }
    }

    public CudaPlan plan() {
        return plan;
    }

    public Cuda cuda() {
        return cuda;
    }

    /**
     * The extents from the inputs' shapes (and {@code explicit} values for the others).
     *
     * @throws IllegalArgumentException naming the tensor, the rank and both extents when shapes disagree
     */
    public Map<String, Long> extents(Map<String, long[]> shapes, Map<String, Long> explicit) {
        Map<String, Long> x = new LinkedHashMap<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (ExtentRule r : plan.extents()) {
                if (x.containsKey(r.index())) continue;
                Long v = switch (r.kind()) {
                    case INPUT -> {
                        long[] s = shapes.get(r.tensor());
                        if (s == null) throw new IllegalArgumentException("no value for input '" + r.tensor() + "'");
                        if (r.rank() >= s.length) throw new IllegalArgumentException("input '" + r.tensor() + "' has " + s.length + " ranks, the kernel expects more");
                        yield s[r.rank()];
                    }
                    case SPLIT_INNER -> r.tile();
                    case SPLIT_OUTER -> x.containsKey(r.parent()) ? (x.get(r.parent()) + r.tile() - 1) / r.tile() : null;
                    case GIVEN -> explicit.get(r.index());
                };
                if (v != null) {
                    x.put(r.index(), v);
                    changed = true;
                }
            }
        }
        for (ExtentRule r : plan.extents())
            if (!x.containsKey(r.index()))
                throw new IllegalArgumentException("the extent of index '" + r.index() + "' cannot be determined: give it with --shape " + r.index() + "=N");
        for (var e : explicit.entrySet())
            if (x.containsKey(e.getKey()) && !x.get(e.getKey()).equals(e.getValue()))
                throw new IllegalArgumentException("index '" + e.getKey() + "' has extent " + x.get(e.getKey()) + " from the inputs but " + e.getValue() + " from --shape");
        for (Buffer b : plan.buffers()) {
            if (b.role() != CudaPlan.Role.INPUT) continue;
            long[] s = shapes.get(b.name());
            if (s == null) throw new IllegalArgumentException("no value for input '" + b.name() + "'");
            long[] want = shape(b, x);
            if (s.length != want.length)
                throw new IllegalArgumentException("input '" + b.name() + "' has " + want.length + " ranks but the array given has " + s.length + " " + Arrays.toString(s));
            for (int k = 0; k < s.length; k++)
                if (s[k] != want[k])
                    throw new IllegalArgumentException("input '" + b.name() + "' has extent " + s[k] + " at rank '" + b.shape().get(k).index()
                            + "' but the other inputs give '" + b.shape().get(k).index() + "' extent " + want[k]);
        }
        return x;
    }

    static long[] shape(Buffer b, Map<String, Long> x) {
        long[] out = new long[b.shape().size()];
        for (int k = 0; k < out.length; k++) {
            Dim d = b.shape().get(k);
            out[k] = x.get(d.index()) + (d.plusOne() ? 1 : 0);
        }
        return out;
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Device buffers for one binding of the extents. */
    public Session bind(Map<String, Long> extents) {
        return new Session(extents);
    }

    /**
     * One whole run for an app: extents from the input tensors' shapes, inputs to the device, the
     * plan, outputs back into {@code outputs} (row-major tensors of the declared types and shapes).
     */
    public void run(Map<String, einc.runtime.Tensor> inputs, Map<String, einc.runtime.Tensor> outputs, Map<String, Double> params) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (var e : inputs.entrySet()) shapes.put(e.getKey(), e.getValue().shape());
        try (Session s = bind(extents(shapes, Map.of()))) {
            for (var e : inputs.entrySet()) s.upload(e.getKey(), e.getValue());
            s.run(params);
            for (Buffer b : plan.buffers()) {
                if (b.role() != CudaPlan.Role.OUTPUT) continue;
                einc.runtime.Tensor t = outputs.get(b.name());
                if (t == null) throw new IllegalArgumentException("no tensor given for output '" + b.name() + "'");
                s.download(b.name(), t);
            }
        }
    }

    /** Device buffers for fixed extents; run as often as needed, then {@link #close()}. */
    public final class Session implements AutoCloseable {
        private final Map<String, Long> x;
        private final Map<String, Long> data = new LinkedHashMap<>();
        private final Map<String, Long> presence = new LinkedHashMap<>();
        private final Map<String, long[]> shapes = new LinkedHashMap<>();
        private final long params;
        private final long[] slots;

        private Session(Map<String, Long> x) {
            this.x = new LinkedHashMap<>(x);
            List<Long> s = new ArrayList<>();
            for (ExtentRule r : plan.extents()) s.add(x.get(r.index()));
            for (Buffer b : plan.buffers()) {
                long[] shape = CudaKernel.shape(b, x);
                shapes.put(b.name(), shape);
                long ptr = cuda.alloc(count(shape) * b.type().bytes);
                data.put(b.name(), ptr);
                s.add(ptr);
            }
            for (Buffer b : plan.buffers())
                if (b.presence()) {
                    long ptr = cuda.alloc(count(shapes.get(b.name())));
                    presence.put(b.name(), ptr);
                    s.add(ptr);
                }
            params = cuda.alloc(8L * Math.max(1, plan.params().size()));
            s.add(params);
            slots = s.stream().mapToLong(Long::longValue).toArray();
        }

        public long[] shape(String buffer) {
            long[] s = shapes.get(buffer);
            if (s == null) throw new IllegalArgumentException("the kernel has no tensor '" + buffer + "'");
            return s.clone();
        }

        public long bytes(String buffer) {
            return count(shape(buffer)) * plan.buffers().stream().filter(b -> b.name().equals(buffer)).findFirst().orElseThrow().type().bytes;
        }

        /** Copies an input (in its declared element type, row-major) to the device. */
        public void upload(String input, MemorySegment host) {
            long want = bytes(input);
            if (host.byteSize() != want)
                throw new IllegalArgumentException("input '" + input + "' needs " + want + " bytes, the segment has " + host.byteSize());
            cuda.upload(data.get(input), host);
        }

        /** Copies a row-major tensor of the declared element type and shape to the device. */
        public void upload(String input, einc.runtime.Tensor t) {
            upload(input, contiguous(input, t));
        }

        /** Copies an output into a row-major tensor of the declared element type and shape. */
        public void download(String output, einc.runtime.Tensor t) {
            download(output, contiguous(output, t));
        }

        private MemorySegment contiguous(String name, einc.runtime.Tensor t) {
            Buffer b = plan.buffers().stream().filter(x -> x.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("the kernel has no tensor '" + name + "'"));
            if (!t.type().spelling().equals(b.type().spelling()))
                throw new IllegalArgumentException("'" + name + "' is declared " + b.type().spelling() + " but the tensor holds " + t.type().spelling());
            if (!Arrays.equals(t.shape(), shape(name)))
                throw new IllegalArgumentException("'" + name + "' has shape " + Arrays.toString(shape(name)) + " but the tensor has " + Arrays.toString(t.shape()));
            if (!t.isContiguous()) throw new IllegalArgumentException("'" + name + "' must be a row-major contiguous tensor");
            return t.segment().asSlice(0, bytes(name));
        }

        /** Copies an output back to the host. */
        public void download(String output, MemorySegment host) {
            long want = bytes(output);
            if (host.byteSize() != want)
                throw new IllegalArgumentException("output '" + output + "' needs " + want + " bytes, the segment has " + host.byteSize());
            cuda.download(host, data.get(output));
        }

        /** Fills every output with NaN, so a test sees any element a run did not write. */
        public void poisonOutputs() {
            for (Buffer b : plan.buffers()) if (b.role() == CudaPlan.Role.OUTPUT) cuda.poison(data.get(b.name()), bytes(b.name()));
        }

        /** Runs every step of the plan; asynchronous until {@link Cuda#synchronize()} or a download. */
        public void run(Map<String, Double> given) {
            float[] pv = new float[2 * Math.max(1, plan.params().size())];
            for (String n : given.keySet())
                if (plan.params().stream().noneMatch(p -> p.name().equals(n)))
                    throw new IllegalArgumentException("cascade '" + plan.name() + "' has no parameter '" + n + "'");
            for (int i = 0; i < plan.params().size(); i++) {
                ParamSpec p = plan.params().get(i);
                Double v = given.get(p.name());
                if (v != null) {
                    pv[2 * i] = v.floatValue();
                    pv[2 * i + 1] = 1f;
                } else if (!p.hasDefault()) {
                    throw new IllegalArgumentException("parameter '" + p.name() + "' has no default and no value was given");
                }
            }
            cuda.upload(params, MemorySegment.ofArray(pv));
            for (var e : presence.entrySet()) cuda.zero(e.getValue(), count(shapes.get(e.getKey())));
            steps(plan.steps(), 0);
        }

        private void steps(List<Step> steps, long step) {
            for (Step s : steps) {
                switch (s) {
                    case Launch l -> launch(l, step);
                    case Loop lp -> {
                        long n = x.get(lp.extent());
                        for (long i = 0; i < n; i++) steps(lp.body(), i);
                    }
                }
            }
        }

        private void launch(Launch l, long step) {
            String name = l.kernel();
            int shared = l.sharedBytes();
            if (!l.headExtents().isEmpty()) {
                long d = 0;
                for (String e : l.headExtents()) d = Math.max(d, x.get(e));
                if (d > 128) throw new CudaException("head dimension " + d + " is over 128, the fused kernel's limit: compile without fusion");
                name = name.replace("{D}", d <= 64 ? "64" : "128");
                shared = d <= 64 ? l.sharedBytes() : l.sharedBytes128();
            }
            final int smem = shared;
            CUfunc_st f = functions.computeIfAbsent(name, n -> {
                CUfunc_st fn = cuda.function(module, n);
                if (smem > 48 * 1024) cuda.allowSharedMemory(fn, smem);
                return fn;
            });
            cuda.launch(f, grid(l.x()), grid(l.y()), grid(l.z()), l.block(), smem, slots, step);
        }

        private long grid(Grid g) {
            long n = 1;
            for (String e : g.extents()) n = Math.multiplyExact(n, x.get(e));
            return (n + g.divisor() - 1) / g.divisor();
        }

        /** Device milliseconds of one run: the median of {@code reps} after {@code warmup} runs. */
        public double medianMillis(Map<String, Double> given, int warmup, int reps) {
            for (int i = 0; i < warmup; i++) run(given);
            cuda.synchronize();
            double[] t = new double[reps];
            for (int i = 0; i < reps; i++) t[i] = cuda.time(() -> run(given));
            Arrays.sort(t);
            return t[reps / 2];
        }

        @Override
        public void close() {
            for (long p : data.values()) cuda.free(p);
            for (long p : presence.values()) cuda.free(p);
            cuda.free(params);
        }
    }

}
