package einc.codegen.cuda;

import einc.runtime.cuda.CudaKernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Ahead-of-time CUDA: writes a kernel folder ({@code kernel.cu}, {@code plan.txt}, and through
 * {@code nvcc} an {@code sm_90a} {@code kernel.cubin} and {@code kernel.ptx}) that
 * {@link CudaKernel#load(Path)} runs without NVRTC.
 */
public final class CudaAot {

    private CudaAot() {}

    /** The first nvcc found: {@code $EINC_NVCC}, {@code /usr/local/bin/nvcc}, {@code /usr/local/cuda/bin/nvcc}, or on the PATH. */
    public static Path nvcc() {
        List<String> candidates = new ArrayList<>();
        String env = System.getenv("EINC_NVCC");
        if (env != null) candidates.add(env);
        candidates.add("/usr/local/bin/nvcc");
        candidates.add("/usr/local/cuda/bin/nvcc");
        String path = System.getenv("PATH");
        if (path != null) for (String d : path.split(":")) candidates.add(d + "/nvcc");
        for (String c : candidates) if (Files.isExecutable(Path.of(c))) return Path.of(c);
        return null;
    }

    /**
     * Writes {@code p} into {@code dir}; with {@code nvcc} null only the source and plan.
     *
     * @throws IOException when a file cannot be written or nvcc fails (its output in the message)
     */
    public static void write(CudaProgram p, Path dir, Path nvcc, String arch) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path cu = dir.resolve(CudaKernel.SOURCE_FILE);
        Files.writeString(cu, p.source());
        Files.writeString(dir.resolve(CudaKernel.PLAN_FILE), p.plan().toText());
        if (nvcc == null) return;
        run(List.of(nvcc.toString(), gencode(arch, true), "-cubin", "-o", dir.resolve(CudaKernel.CUBIN_FILE).toString(), cu.toString()));
        run(List.of(nvcc.toString(), gencode(arch, false), "-ptx", "-o", dir.resolve("kernel.ptx").toString(), cu.toString()));
    }

    /**
     * nvcc's target for {@code arch}: sm_90 is built as sm_90a, Hopper's own instructions (wgmma) included,
     * since every sm_90 device is a Hopper (HOPPER.md: the {@code -gencode} form, not {@code -arch=sm_90a}).
     */
    static String gencode(String arch, boolean cubin) {
        if (arch.equals("sm_90") || arch.equals("sm_90a"))
            return "-gencode=arch=compute_90a,code=" + (cubin ? "sm_90a" : "compute_90a");
        return "-arch=" + arch;
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes());
        if (proc.waitFor() != 0) throw new IOException("nvcc failed: " + String.join(" ", cmd) + "\n" + out);
    }
}
