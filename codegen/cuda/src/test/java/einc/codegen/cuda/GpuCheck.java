package einc.codegen.cuda;

import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Dense;
import einc.ir.Extents;
import einc.ir.Interpreter;
import einc.ir.TensorDecl;
import einc.runtime.cuda.CudaCheck;
import einc.runtime.cuda.CudaKernel;
import einc.runtime.cuda.CudaPlan;
import einc.testing.Errors;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Checks every example on the GPU against the reference interpreter (fresh random inputs, ragged
 * shapes, outputs poisoned before each run), fused and one-kernel-per-statement alike. Kernels come
 * from an AOT folder made by {@code nvcc} when given ({@code aot DIR}), else from NVRTC.
 * Usage: {@code GpuCheck check AOTDIR} (every example, every shape), {@code GpuCheck sanitize AOTDIR}
 * (one small run of each, for compute-sanitizer), {@code GpuCheck jit} (two examples through NVRTC);
 * exit status 1 when any check fails.
 */
public final class GpuCheck {

    /** A shape to check at: batch, heads, queries, keys, head dims. */
    record Shape(int b, int h, int p, int m, int e, int f) {
        Map<String, int[]> of(Cascade c) {
            Map<String, int[]> out = new LinkedHashMap<>();
            for (TensorDecl t : c.inputs()) {
                int[] s = new int[t.arity()];
                for (int k = 0; k < s.length; k++)
                    s[k] = switch (t.ranks().get(k).index()) {
                        case "b" -> b;
                        case "h" -> h;
                        case "p" -> p;
                        case "m" -> m;
                        case "e" -> e;
                        case "f" -> f;
                        case "g" -> 1;
                        default -> 5;
                    };
                out.put(t.name(), s);
            }
            return out;
        }
    }

    static final List<Shape> SHAPES = List.of(
            new Shape(1, 2, 70, 93, 64, 64),    // ragged query and key tiles, D = 64
            new Shape(2, 1, 64, 128, 40, 24),   // whole tiles, head dims under 64
            new Shape(1, 1, 33, 17, 36, 20),    // fewer keys than a tile; E not a multiple of 8
            new Shape(1, 2, 130, 130, 128, 128) // D = 128
    );

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path aot = args.length > 1 && !mode.equals("jit") ? Path.of(args[1]) : null;
        CudaCheck.require();
        List<Shape> shapes = mode.equals("check") ? SHAPES : List.of(SHAPES.getFirst());
        List<String> only = mode.equals("jit") ? List.of("softmax_bf16", "attention_1pass") : List.of();
        List<Path> dirs = new ArrayList<>();
        for (int i = 2; i < args.length; i++) dirs.add(Path.of(args[i]));
        Map<String, Cascade> all = new LinkedHashMap<>(Examples.all());
        all.putAll(EinExamples.under(dirs));
        int failed = check(all, aot, new Random(System.nanoTime()), shapes, only);
        System.out.println(failed == 0 ? "all GPU checks passed" : failed + " GPU checks FAILED");
        System.exit(failed == 0 ? 0 : 1);
    }

    /** Loads the kernel of {@code name} from the AOT folder, or JIT-compiles it. */
    static CudaKernel kernel(Path aot, String name, CudaProgram p) throws Exception {
        if (aot != null && Files.isDirectory(aot.resolve(name))) return CudaKernel.load(aot.resolve(name));
        return CudaKernel.jit(p.plan(), p.source());
    }

    static int check(Map<String, Cascade> all, Path aot, Random rnd, List<Shape> shapes, List<String> only) throws Exception {
        int failed = 0;
        System.out.printf(Locale.ROOT, "%-28s %-8s %-28s %-12s %s%n", "example", "path", "shape (b h p m e f)", "rel. error", "verdict");
        for (Map.Entry<String, Cascade> e : all.entrySet()) {
            Cascade c = e.getValue();
            if (!only.isEmpty() && !only.contains(e.getKey())) continue;
            for (boolean fuse : new boolean[] {true, false}) {
                CudaProgram prog = CudaCodegen.generate(c, fuse);
                if (fuse && !prog.fused()) continue;
                String name = e.getKey() + (fuse ? "" : "_generic");
                CudaKernel k;
                try {
                    k = kernel(aot, name, prog);
                } catch (RuntimeException ex) {
                    failed++;
                    System.out.println(name + " FAIL: " + ex.getMessage());
                    continue;
                }
                for (Shape s : shapes) {
                    if (!fuse && s.p() * s.m() > 70 * 93) continue; // the generic path is slow; small shapes suffice
                    double err;
                    try {
                        err = checkOne(c, k, s, rnd);
                    } catch (RuntimeException ex) {
                        System.out.println(name + " " + s + " FAIL: " + ex);
                        failed++;
                        continue;
                    }
                    double tol = c.inputs().getFirst().type() == DType.F32 ? 1e-5 : 1e-2;
                    boolean ok = err < tol; // NaN fails
                    if (!ok) failed++;
                    System.out.printf(Locale.ROOT, "%-28s %-8s %-28s %-12.3e %s%n", name, fuse ? "fused" : "generic",
                            s.b() + " " + s.h() + " " + s.p() + " " + s.m() + " " + s.e() + " " + s.f(), err, ok ? "ok" : "FAIL (tol " + tol + ")");
                }
            }
        }
        return failed;
    }

    /** One run: random inputs, poisoned outputs, the worst relative L2 error over the outputs. */
    static double checkOne(Cascade c, CudaKernel k, Shape s, Random rnd) {
        Map<String, int[]> shapes = s.of(c);
        Extents x = Extents.bind(c, shapes, Map.of());
        Map<String, Dense> in = new LinkedHashMap<>();
        Map<String, long[]> lshapes = new LinkedHashMap<>();
        for (TensorDecl t : c.inputs()) {
            int[] sh = shapes.get(t.name());
            long n = 1;
            for (int d : sh) n *= d;
            in.put(t.name(), new Dense(sh, HostData.random(rnd, n, Layout.type(t.type()))));
            long[] l = new long[sh.length];
            for (int i = 0; i < l.length; i++) l[i] = sh[i];
            lshapes.put(t.name(), l);
        }
        Map<String, Double> params = Interpreter.params(c, x, Map.of());
        Map<String, Dense> ref = Interpreter.run(c, x, in, params);
        // where the reference holds NaN (0 / 0 of an emptied row), outputs start at a finite sentinel
        // instead of the NaN poison, and the kernel must write NaN exactly there
        boolean nans = c.outputs().stream().anyMatch(t -> java.util.Arrays.stream(ref.get(t.name()).data()).anyMatch(Double::isNaN));
        Map<String, Long> gx = k.extents(lshapes, Map.of());
        double worst = 0;
        try (CudaKernel.Session session = k.bind(gx)) {
            for (TensorDecl t : c.inputs()) session.upload(t.name(), HostData.encode(Layout.type(t.type()), in.get(t.name()).data()));
            session.poisonOutputs();
            if (nans)
                for (TensorDecl t : c.outputs()) {
                    CudaPlan.Type type = Layout.type(t.type());
                    double[] sentinel = new double[(int) (session.bytes(t.name()) / type.bytes)];
                    java.util.Arrays.fill(sentinel, 12345.0);
                    session.upload(t.name(), HostData.encode(type, sentinel));
                }
            session.run(Map.of());
            for (TensorDecl t : c.outputs()) {
                CudaPlan.Type type = Layout.type(t.type());
                MemorySegment host = MemorySegment.ofArray(new byte[(int) session.bytes(t.name())]);
                session.download(t.name(), host);
                double[] got = HostData.decode(type, host), want = ref.get(t.name()).data();
                double err = nans ? HostData.relativeErrorNaNsMatched(got, want) : Errors.relativeL2(got, want);
                worst = Double.isNaN(err) ? err : Math.max(worst, err);
            }
        }
        return worst;
    }

    static List<String> names() {
        return new ArrayList<>(Examples.all().keySet());
    }
}
