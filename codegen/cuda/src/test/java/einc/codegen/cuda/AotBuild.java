package einc.codegen.cuda;

import einc.ir.Cascade;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Builds the AOT folders of every example (fused and generic) with nvcc, for the GPU check: {@code AotBuild DIR THREADS [EXAMPLEDIR...]}. */
public final class AotBuild {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path nvcc = CudaAot.nvcc();
        if (nvcc == null) throw new IllegalStateException("nvcc not found");
        // daemon threads: a failure in this thread ends the build instead of leaving the pool waiting
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> jobs = new ArrayList<>();
        Map<String, Cascade> all = new java.util.LinkedHashMap<>(Examples.all());
        List<Path> dirs = new ArrayList<>();
        for (int i = 2; i < args.length; i++) dirs.add(Path.of(args[i]));
        all.putAll(EinExamples.under(dirs));
        for (Map.Entry<String, Cascade> e : all.entrySet())
            for (boolean fuse : new boolean[] {true, false}) {
                CudaProgram p = CudaCodegen.generate(e.getValue(), fuse);
                if (fuse && !p.fused()) continue;
                String name = e.getKey() + (fuse ? "" : "_generic");
                if (java.nio.file.Files.isRegularFile(out.resolve(name).resolve("kernel.cubin"))
                        && java.nio.file.Files.readString(out.resolve(name).resolve("kernel.cu")).equals(p.source())) continue;
                jobs.add(pool.submit(() -> {
                    CudaAot.write(p, out.resolve(name), nvcc, "sm_90");
                    System.out.println("built " + name);
                    return null;
                }));
            }
        for (Map.Entry<String, Cascade> e : BenchCases.cascades().entrySet()) {
            CudaProgram p = CudaCodegen.generate(e.getValue(), true);
            if (java.nio.file.Files.isRegularFile(out.resolve("bench_" + e.getKey()).resolve("kernel.cubin"))
                    && java.nio.file.Files.readString(out.resolve("bench_" + e.getKey()).resolve("kernel.cu")).equals(p.source())) continue;
            jobs.add(pool.submit(() -> {
                CudaAot.write(p, out.resolve("bench_" + e.getKey()), nvcc, "sm_90");
                System.out.println("built bench_" + e.getKey());
                return null;
            }));
        }
        try {
            for (Future<?> f : jobs) f.get();
        } finally {
            pool.shutdownNow();
        }
    }
}
