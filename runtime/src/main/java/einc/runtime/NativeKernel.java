package einc.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * A native einc kernel called through Panama downcalls: from a shared library written by
 * {@code einc compile --target llvm} ({@link #load}), or from any {@link SymbolLookup} (the LLVM
 * backend's JIT). Binds extents from the input shapes, fills parameter defaults in native code, and
 * splits independent batch points among the threads of a fork-join pool. Needs the JDK only.
 */
public final class NativeKernel {

    private static final Linker LINKER = Linker.nativeLinker();
    /** Chunks of the task range per thread, taken dynamically. */
    private static final int CHUNKS_PER_THREAD = 4;

    private final NativeManifest manifest;
    private final MethodHandle kernel, extents, params, tasks;

    public NativeKernel(NativeManifest manifest, SymbolLookup lookup) {
        this.manifest = manifest;
        String s = manifest.symbol();
        kernel = LINKER.downcallHandle(find(lookup, s), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        extents = LINKER.downcallHandle(find(lookup, s + "_extents"), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        params = LINKER.downcallHandle(find(lookup, s + "_params"), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        tasks = LINKER.downcallHandle(find(lookup, s + "_tasks"), FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    }

    /** Loads the kernel in {@code dir}: its manifest and the shared library the manifest names. */
    public static NativeKernel load(Path dir) {
        NativeManifest m = NativeManifest.read(dir.resolve(NativeManifest.FILE));
        Path lib = dir.resolve(m.library()).toAbsolutePath();
        if (!Files.isRegularFile(lib)) throw new IllegalArgumentException("kernel library " + lib + " does not exist");
        return new NativeKernel(m, SymbolLookup.libraryLookup(lib, Arena.global()));
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalArgumentException("the kernel library has no symbol '" + name + "'"));
    }

    public NativeManifest manifest() {
        return manifest;
    }

    /** Runs on {@code inputs} (by name) and returns fresh outputs; {@code params} may leave out those with defaults. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs, Map<String, Double> params, int threads) {
        Bound b = bind(inputs, Map.of());
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        for (var e : manifest.outputs().entrySet())
            outputs.put(e.getKey(), Tensor.allocate(Arena.ofAuto(), ElementType.F32, manifest.shape(e.getValue(), b.extents)));
        run(inputs, outputs, params, threads);
        return outputs;
    }

    /** Computes every output into {@code outputs} (shaped as the cascade says) from {@code inputs}. */
    public void run(Map<String, Tensor> inputs, Map<String, Tensor> outputs, Map<String, Double> paramValues, int threads) {
        Bound b = bind(inputs, outputs);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment ext = arena.allocateFrom(ValueLayout.JAVA_LONG, b.extents);
            float[] par = new float[manifest.params().size()];
            Arrays.fill(par, Float.NaN);
            for (var e : paramValues.entrySet()) {
                int k = manifest.params().indexOf(e.getKey());
                if (k < 0) throw new IllegalArgumentException("cascade '" + manifest.cascade() + "' has no parameter '" + e.getKey()
                        + "'; its parameters are " + manifest.params());
                par[k] = (float) (double) e.getValue();
            }
            for (int k = 0; k < par.length; k++)
                if (Float.isNaN(par[k]) && !manifest.defaults().contains(manifest.params().get(k)))
                    throw new IllegalArgumentException("parameter '" + manifest.params().get(k) + "' has no default and no value was given");
            MemorySegment parSeg = arena.allocateFrom(ValueLayout.JAVA_FLOAT, par);
            params.invokeExact(ext, parSeg);

            List<Tensor> args = new ArrayList<>();
            List<Runnable> copyBack = new ArrayList<>();
            for (String name : manifest.inputs().keySet()) args.add(nativeF32(arena, inputs.get(name), true));
            for (String name : manifest.outputs().keySet()) {
                Tensor given = outputs.get(name);
                Tensor t = nativeF32(arena, given, false);
                args.add(t);
                if (t != given) copyBack.add(() -> copy(t, given));
            }
            MemorySegment tens = arena.allocate(ValueLayout.ADDRESS, args.size());
            for (int k = 0; k < args.size(); k++) tens.setAtIndex(ValueLayout.ADDRESS, k, args.get(k).segment());

            long n = (long) tasks.invokeExact(ext);
            int parts = (int) Math.max(1, Math.min(n, threads));
            if (parts == 1) {
                kernel.invokeExact(tens, ext, parSeg, 0L, n);
            } else {
                // The calling thread is one of the parts, so parts - 1 helpers suffice: the common
                // pool has them on a machine of `parts` cores (its parallelism is cores - 1), and no
                // pool is created per call.
                int helpers = parts - 1;
                ForkJoinPool pool = ForkJoinPool.getCommonPoolParallelism() >= helpers ? ForkJoinPool.commonPool() : new ForkJoinPool(helpers);
                // Each of the parts threads takes chunks of the task range until none is left, so
                // that a thread the OS preempts (a shared machine) does not hold up the others.
                long chunk = Math.max(1, n / ((long) parts * CHUNKS_PER_THREAD));
                java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
                Runnable work = () -> {
                    for (long lo = next.getAndAdd(chunk); lo < n; lo = next.getAndAdd(chunk)) call(tens, ext, parSeg, lo, Math.min(n, lo + chunk));
                };
                List<ForkJoinTask<?>> running = new ArrayList<>();
                for (int p = 0; p < helpers; p++) running.add(pool.submit(work));
                try {
                    work.run();
                } finally {
                    // the helpers must be done before the arena (extents, parameters) is closed
                    for (ForkJoinTask<?> t : running) t.join();
                    if (pool != ForkJoinPool.commonPool()) pool.shutdown();
                }
            }
            copyBack.forEach(Runnable::run);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("native kernel call failed: " + e.getMessage(), e);
        }
    }

    private void call(MemorySegment tens, MemorySegment ext, MemorySegment par, long lo, long hi) {
        try {
            kernel.invokeExact(tens, ext, par, lo, hi);
        } catch (Throwable e) {
            throw new IllegalStateException("native kernel call failed: " + e.getMessage(), e);
        }
    }

    /** The extents of every index (manifest order). */
    private record Bound(long[] extents) {}

    private Bound bind(Map<String, Tensor> inputs, Map<String, Tensor> outputs) {
        Map<String, Long> classValue = new LinkedHashMap<>();
        Map<String, String> classSource = new LinkedHashMap<>();
        for (var e : manifest.inputs().entrySet()) {
            Tensor t = inputs.get(e.getKey());
            if (t == null) throw new IllegalArgumentException("no value for input '" + e.getKey() + "'");
            List<String> ranks = e.getValue();
            if (t.rank() != ranks.size())
                throw new IllegalArgumentException("input '" + e.getKey() + "' has " + ranks.size() + " ranks " + ranks
                        + " but the tensor given has " + t.rank() + " " + Arrays.toString(t.shape()));
            for (int k = 0; k < ranks.size(); k++) {
                String r = ranks.get(k);
                boolean iterative = r.endsWith("+");
                String ix = iterative ? r.substring(0, r.length() - 1) : r;
                String rep = manifest.classes().get(ix);
                if (rep == null) continue; // a split part: checked below
                long v = t.dim(k) - (iterative ? 1 : 0);
                Long old = classValue.putIfAbsent(rep, v);
                if (old == null) classSource.put(rep, "input '" + e.getKey() + "' at rank " + (k + 1));
                else if (old != v)
                    throw new IllegalArgumentException("input '" + e.getKey() + "' has extent " + v + " at rank " + (k + 1) + " ('" + ix
                            + "') but " + classSource.get(rep) + " says " + old);
            }
        }
        long[] ext = new long[manifest.indices().size()];
        for (int i = 0; i < ext.length; i++) {
            String ix = manifest.indices().get(i);
            String rep = manifest.classes().get(ix);
            if (rep == null) continue;
            Long v = classValue.get(rep);
            if (v == null) throw new IllegalArgumentException("the extent of index '" + ix + "' cannot be determined from the inputs");
            ext[i] = v;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocateFrom(ValueLayout.JAVA_LONG, ext);
            extents.invokeExact(seg);
            ext = seg.toArray(ValueLayout.JAVA_LONG);
        } catch (Throwable e) {
            throw new IllegalStateException("native kernel call failed: " + e.getMessage(), e);
        }
        check("input", manifest.inputs(), inputs, ext);
        check("output", manifest.outputs(), outputs, ext);
        return new Bound(ext);
    }

    private void check(String role, Map<String, List<String>> decls, Map<String, Tensor> given, long[] ext) {
        for (var e : decls.entrySet()) {
            Tensor t = given.get(e.getKey());
            if (t == null) {
                if (role.equals("output") && !given.isEmpty()) throw new IllegalArgumentException("no tensor for output '" + e.getKey() + "'");
                continue;
            }
            long[] want = manifest.shape(e.getValue(), ext);
            if (!Arrays.equals(want, t.shape()))
                throw new IllegalArgumentException(role + " '" + e.getKey() + "' has shape " + Arrays.toString(t.shape())
                        + " but the cascade needs " + Arrays.toString(want) + " " + e.getValue());
        }
    }

    /** {@code t} itself when it is a dense native f32 tensor, else a native copy (of its values when {@code values}). */
    private static Tensor nativeF32(Arena arena, Tensor t, boolean values) {
        if (t.type() == ElementType.F32 && t.isContiguous() && t.segment().isNative()) return t;
        Tensor copy = Tensor.allocate(arena, ElementType.F32, t.shape());
        if (values) copy(t, copy);
        return copy;
    }

    private static void copy(Tensor from, Tensor to) {
        if (from.type() == ElementType.F32 && to.type() == ElementType.F32 && from.isContiguous() && to.isContiguous()) {
            MemorySegment.copy(from.segment(), 0, to.segment(), 0, from.size() * 4);
            return;
        }
        for (long i = 0; i < from.size(); i++) to.setFlat(i, from.getFlat(i));
    }
}
