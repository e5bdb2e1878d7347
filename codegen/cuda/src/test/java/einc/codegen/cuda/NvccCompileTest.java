package einc.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.ir.Cascade;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CUDA source generated for every example (hand-built and every .ein under examples/) compiles with the machine's nvcc for sm_90 and for sm_90a (the wgmma kernels; no GPU needed). */
class NvccCompileTest {

    static Path nvcc() {
        for (String p : List.of("/usr/local/bin/nvcc", "/usr/local/cuda/bin/nvcc")) if (Files.isExecutable(Path.of(p))) return Path.of(p);
        return null;
    }

    @Test
    void everyExampleCompilesForSm90(@TempDir Path dir) throws Exception {
        Path nvcc = nvcc();
        Assumptions.assumeTrue(nvcc != null, "nvcc is not installed");
        // one translation unit holding every example's kernels: one nvcc start instead of one per example
        StringBuilder unit = new StringBuilder(), wgUnit = new StringBuilder();
        int kernels = 0;
        Map<String, Cascade> all = new java.util.LinkedHashMap<>(Examples.all());
        all.putAll(EinExamples.under(List.of(Path.of("../../examples"))));
        assertTrue(all.keySet().stream().anyMatch(n -> n.startsWith("ein_")), "the .ein examples were found");
        for (Map.Entry<String, Cascade> e : all.entrySet()) {
            for (boolean fuse : new boolean[] {false, true}) {
                String ns = "ns_" + e.getKey() + (fuse ? "_fused" : "_generic");
                CudaProgram p = CudaCodegen.generate(e.getValue(), fuse, ns);
                // kernels are extern "C" with distinct prefixes; each program's struct lives in its namespace
                unit.append("namespace ").append(ns).append(" {\n").append(p.source()).append("\n}\n");
                if (p.source().contains("__CUDA_ARCH_FEAT_SM90_ALL) && 1")) wgUnit.append("namespace ").append(ns).append(" {\n").append(p.source()).append("\n}\n");
                kernels += countKernels(p.source());
            }
        }
        Path cu = dir.resolve("examples.cu");
        Files.writeString(cu, unit);
        // plain sm_90 (the mma.sync kernels, as any other GPU compiles them through NVRTC)
        Result r = run(List.of(nvcc.toString(), "-arch=sm_90", "-ptx", "-o", dir.resolve("examples.ptx").toString(), cu.toString()));
        assertEquals(0, r.code, r.out);
        String ptx = Files.readString(dir.resolve("examples.ptx"));
        long entries = ptx.lines().filter(l -> l.contains(".entry")).count();
        assertTrue(entries >= kernels, "expected " + kernels + " kernels in the PTX, found " + entries);
        assertFalse(ptx.contains("wgmma"), "plain sm_90 has no wgmma");
        // the kernels with a wgmma path for sm_90a, as the AOT build and NVRTC on a Hopper compile them, through
        // ptxas (which checks the wgmma operands)
        Path wg = dir.resolve("wgmma.cu");
        Files.writeString(wg, wgUnit);
        r = run(List.of(nvcc.toString(), CudaAot.gencode("sm_90", true), "-cubin", "-o", dir.resolve("examples.cubin").toString(), wg.toString()));
        assertEquals(0, r.code, r.out);
        assertFalse(r.out.contains("wgmma.mma_async instructions are serialized"), r.out);
        r = run(List.of(nvcc.toString(), CudaAot.gencode("sm_90", false), "-ptx", "-o", dir.resolve("examples90a.ptx").toString(), wg.toString()));
        assertEquals(0, r.code, r.out);
        assertTrue(Files.readString(dir.resolve("examples90a.ptx")).contains("wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16"),
                "the bf16 examples' fused kernels use wgmma on sm_90a");
    }

    static int countKernels(String src) {
        int n = 0, i = 0;
        while ((i = src.indexOf("__global__", i)) >= 0) {
            n++;
            i++;
        }
        return n;
    }

    record Result(int code, String out) {}

    static Result run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Result(p.waitFor(), out);
    }
}
