package einc.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * A {@link Kernel} over a generated {@link CompiledCascade}: checks shapes and parameters, lays
 * tensors out as f32 arrays (without a copy when a tensor already is one), and runs the slices on
 * a fork-join pool whose size the caller picks.
 */
public final class LoadedKernel implements Kernel {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Signature signature;
    private final CompiledCascade code;
    private final ForkJoinPool pool;
    private final String variant;

    public LoadedKernel(Signature signature, CompiledCascade code, ForkJoinPool pool, String variant) {
        this.signature = signature;
        this.code = code;
        this.pool = pool;
        this.variant = variant;
    }

    @Override
    public Signature signature() {
        return signature;
    }

    /** Which generated class runs: {@code fused} (vectorized) or {@code generic}. */
    public String variant() {
        return variant;
    }

    /** The same kernel running on {@code threads} threads (1: on the caller's thread). */
    public LoadedKernel withThreads(int threads) {
        if (threads < 1) throw new KernelException("threads must be at least 1, got " + threads);
        return new LoadedKernel(signature, code, threads == 1 ? null : new ForkJoinPool(threads), variant);
    }

    @Override
    public void run(Map<String, Tensor> inputs, Map<String, Tensor> outputs, Map<String, Double> params) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Signature.TensorSpec t : signature.inputs()) {
            Tensor v = inputs.get(t.name());
            if (v == null) throw new KernelException("no tensor for input '" + t.name() + "'");
            shapes.put(t.name(), v.shape());
        }
        for (Signature.TensorSpec t : signature.outputs()) {
            Tensor v = outputs.get(t.name());
            if (v == null) throw new KernelException("no tensor for output '" + t.name() + "'");
            shapes.put(t.name(), v.shape());
        }
        for (String name : inputs.keySet())
            if (signature.inputs().stream().noneMatch(t -> t.name().equals(name)))
                throw new KernelException("cascade '" + signature.cascade() + "' has no input '" + name + "'");
        for (String name : outputs.keySet())
            if (signature.outputs().stream().noneMatch(t -> t.name().equals(name)))
                throw new KernelException("cascade '" + signature.cascade() + "' has no output '" + name + "'");
        int[] extents = signature.bind(shapes, Map.of());
        float[] prm = params(extents, params);

        int nIn = signature.inputs().size(), nOut = signature.outputs().size();
        float[][] arrays = new float[nIn + nOut][];
        List<Tensor> copyBack = new ArrayList<>();
        for (int i = 0; i < nIn; i++) arrays[i] = floats(inputs.get(signature.inputs().get(i).name()), true);
        for (int i = 0; i < nOut; i++) {
            Tensor t = outputs.get(signature.outputs().get(i).name());
            float[] direct = direct(t);
            arrays[nIn + i] = direct != null ? direct : new float[Math.toIntExact(t.size())];
            copyBack.add(direct != null ? null : t);
        }
        Launch launch = new Launch(arrays, extents, prm, pool);
        int n = code.slices(extents);
        if (pool == null || n <= 1) { // n is 0 when the sliced rank is empty (an extent of 0)
            for (int s = 0; s < n; s++) code.slice(launch, s);
        } else {
            pool.invoke(new Slices(code, launch, 0, n));
        }
        for (int i = 0; i < nOut; i++) {
            Tensor t = copyBack.get(i);
            if (t == null) continue;
            float[] a = arrays[nIn + i];
            if (t.type() == ElementType.F32 && t.isContiguous()) MemorySegment.copy(a, 0, t.segment(), F32_LE, 0, a.length);
            else t.copyFrom(a);
        }
    }

    private float[] params(int[] extents, Map<String, Double> given) {
        List<Signature.ParamSpec> specs = signature.params();
        for (String name : given.keySet())
            if (specs.stream().noneMatch(p -> p.name().equals(name)))
                throw new KernelException("cascade '" + signature.cascade() + "' has no parameter '" + name + "'"
                        + (specs.isEmpty() ? "" : "; its parameters are " + String.join(", ", specs.stream().map(Signature.ParamSpec::name).toList())));
        double[] values = new double[specs.size()];
        boolean[] has = new boolean[specs.size()];
        for (int i = 0; i < specs.size(); i++) {
            Double v = given.get(specs.get(i).name());
            if (v != null) {
                values[i] = v;
                has[i] = true;
            } else if (!specs.get(i).hasDefault()) {
                throw new KernelException("parameter '" + specs.get(i).name() + "' has no default and no value was given");
            }
        }
        code.defaults(extents, values, has);
        float[] out = new float[values.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) values[i];
        return out;
    }

    /** The tensor's own float array when it is a whole, contiguous f32 heap array; else null. */
    private static float[] direct(Tensor t) {
        if (t.type() != ElementType.F32 || !t.isContiguous()) return null;
        MemorySegment s = t.segment();
        if (s.isNative() || s.address() != 0) return null;
        Object base = s.heapBase().orElse(null);
        return base instanceof float[] a && a.length == t.size() && java.nio.ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? a : null;
    }

    private static float[] floats(Tensor t, boolean input) {
        float[] a = direct(t);
        if (a != null) return a;
        float[] out = new float[Math.toIntExact(t.size())];
        if (t.type() == ElementType.F32 && t.isContiguous()) MemorySegment.copy(t.segment(), F32_LE, 0, out, 0, out.length);
        else out = t.toFloatArray();
        return out;
    }

    /** Splits the slice range in halves until one slice is left. */
    private static final class Slices extends RecursiveAction {
        private final CompiledCascade code;
        private final Launch launch;
        private final int lo, hi;

        Slices(CompiledCascade code, Launch launch, int lo, int hi) {
            this.code = code;
            this.launch = launch;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                code.slice(launch, lo);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Slices(code, launch, lo, mid), new Slices(code, launch, mid, hi));
        }
    }

    @Override
    public String toString() {
        return "kernel " + signature.cascade() + " (" + variant + ")";
    }
}
