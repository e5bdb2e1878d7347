package einc.codegen.cuda;

import einc.ir.Cascade;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Builds the AOT folders of every example (fused and generic) with nvcc, for the GPU check: {@code AotBuild DIR [threads]}. */
public final class AotBuild {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path nvcc = CudaAot.nvcc();
        if (nvcc == null) throw new IllegalStateException("nvcc not found");
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> jobs = new ArrayList<>();
        for (Map.Entry<String, Cascade> e : Examples.all().entrySet())
            for (boolean fuse : new boolean[] {true, false}) {
                CudaProgram p = CudaCodegen.generate(e.getValue(), fuse);
                if (fuse && !p.fused()) continue;
                String name = e.getKey() + (fuse ? "" : "_generic");
                jobs.add(pool.submit(() -> {
                    CudaAot.write(p, out.resolve(name), nvcc, "sm_90");
                    System.out.println("built " + name);
                    return null;
                }));
            }
        for (Map.Entry<String, Cascade> e : BenchCases.cascades().entrySet()) {
            CudaProgram p = CudaCodegen.generate(e.getValue(), true);
            jobs.add(pool.submit(() -> {
                CudaAot.write(p, out.resolve("bench_" + e.getKey()), nvcc, "sm_90");
                System.out.println("built bench_" + e.getKey());
                return null;
            }));
        }
        for (Future<?> f : jobs) f.get();
        pool.shutdown();
    }
}
