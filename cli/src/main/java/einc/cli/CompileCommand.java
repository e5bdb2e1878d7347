package einc.cli;

import einc.codegen.cuda.CudaAot;
import einc.codegen.cuda.CudaCodegen;
import einc.codegen.cuda.CudaProgram;
import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.EincException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code einc compile FILE --target cuda -o DIR}: writes each cascade's {@code .cu}, its plan and,
 * through {@code nvcc}, an {@code sm_90} cubin and PTX that the runtime loads without NVRTC;
 * {@code --emit=cu} prints the CUDA source instead.
 */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = "Compile a .ein file ahead of time: --target cuda writes DIR/CASCADE/{kernel.cu, plan.txt, kernel.cubin, kernel.ptx}.")
final class CompileCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "The .ein file.")
    Path file;

    @Option(names = "--target", paramLabel = "TARGET", defaultValue = "cuda", description = "What to compile for: cuda. Default: ${DEFAULT-VALUE}.")
    String target;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "The folder to write (one subfolder per cascade).")
    Path output;

    @Option(names = "--emit", paramLabel = "FORM", description = "Print a stage instead of writing files: cu (the CUDA source).")
    String emit;

    @Option(names = "--cascade", paramLabel = "NAME", description = "Only this cascade of the file.")
    String cascade;

    @Option(names = "--arch", paramLabel = "SM", defaultValue = "sm_90", description = "The GPU architecture for nvcc. Default: ${DEFAULT-VALUE}.")
    String arch;

    @Option(names = "--no-fuse", description = "One kernel per statement, even for attention-shaped cascades.")
    boolean noFuse;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (!target.equals("cuda")) throw EincException.plain(Code.BAD_ARGUMENT, "unknown target '" + target + "'; the targets are cuda");
        PrintWriter out = spec.commandLine().getOut();
        List<Cascade> cascades = Sources.compile(file);
        if (cascade != null) {
            cascades = cascades.stream().filter(c -> c.name().equals(cascade)).toList();
            if (cascades.isEmpty()) throw EincException.plain(Code.UNKNOWN_CASCADE, "no cascade '" + cascade + "' in " + file);
        }
        if (emit != null) {
            if (!emit.equals("cu")) throw EincException.plain(Code.BAD_ARGUMENT, "unknown --emit form '" + emit + "'; the forms are cu");
            for (Cascade c : cascades) out.print(CudaCodegen.generate(c, !noFuse).source());
            out.flush();
            return Main.OK;
        }
        if (output == null) throw EincException.plain(Code.BAD_ARGUMENT, "give the output folder with -o DIR (or print the source with --emit=cu)");
        Path nvcc = CudaAot.nvcc();
        for (Cascade c : cascades) {
            CudaProgram p = CudaCodegen.generate(c, !noFuse);
            Path dir = output.resolve(c.name());
            CudaAot.write(p, dir, nvcc, arch);
            out.println(dir + ": " + (p.fused() ? "fused attention kernel" : "one kernel per statement") + " (" + p.why() + ")"
                    + (nvcc == null ? "; nvcc not found, wrote kernel.cu and plan.txt only" : "; kernel.cubin and kernel.ptx for " + arch));
        }
        out.flush();
        return Main.OK;
    }
}
