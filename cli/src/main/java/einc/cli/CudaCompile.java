package einc.cli;

import einc.codegen.cuda.AttentionRecognizer;
import einc.codegen.cuda.CudaAot;
import einc.codegen.cuda.CudaCodegen;
import einc.codegen.cuda.CudaProgram;
import einc.ir.Cascade;
import einc.optimizer.attention.OnlineForm;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code einc compile FILE --target cuda -o DIR}: each cascade's {@code kernel.cu}, {@code plan.txt}
 * and, through {@code nvcc}, an {@code sm_90} {@code kernel.cubin} and {@code kernel.ptx} that
 * {@code einc.runtime.cuda.CudaKernel.load} runs without NVRTC; {@code --emit=cu} prints the source.
 */
final class CudaCompile {

    private CudaCompile() {}

    /**
     * The cascade the CUDA backend compiles for plan {@code c}: its untiled reading when that is
     * attention the fused kernel takes (the kernel does the online softmax one key tile at a
     * time), else the plan itself, one kernel per statement.
     */
    static Cascade kernelCascade(Cascade c) {
        if (AttentionRecognizer.recognize(c).pattern().isPresent()) return c;
        return OnlineForm.untile(c).map(OnlineForm.Untiled::cascade)
                .filter(u -> AttentionRecognizer.recognize(u).pattern().isPresent())
                .orElse(c);
    }

    static void emit(List<Cascade> cascades, boolean fuse, PrintWriter out) {
        for (Cascade c : cascades) out.print(CudaCodegen.generate(c, fuse).source());
    }

    /** Writes one folder per cascade ({@code output} itself when there is one cascade). */
    static void write(List<Cascade> cascades, boolean several, Path output, boolean fuse, String arch, PrintWriter out)
            throws IOException, InterruptedException {
        Path nvcc = CudaAot.nvcc();
        for (Cascade c : cascades) {
            CudaProgram p = CudaCodegen.generate(c, fuse);
            Path dir = several ? output.resolve(c.name()) : output;
            CudaAot.write(p, dir, nvcc, arch);
            out.println(dir + ": " + (p.fused() ? "fused attention kernel" : "one kernel per statement") + " (" + p.why() + ")"
                    + (nvcc == null ? "; nvcc not found, wrote kernel.cu and plan.txt only" : "; kernel.cubin and kernel.ptx for " + arch));
        }
    }
}
