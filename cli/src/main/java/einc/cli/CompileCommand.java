package einc.cli;

import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.EincException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code einc compile FILE --target llvm -o DIR}: compiles every cascade of a file ahead of time
 * into {@code DIR/NAME/} ({@code .ll}, object file, shared library, manifest) for
 * {@code NativeKernel.load} in an app that has the runtime alone; {@code --emit=llvm} prints the IR.
 */
@Command(name = "compile", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compile cascades ahead of time (shared library + manifest), or print the generated code.")
final class CompileCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "The .ein file.")
    Path file;

    @Option(names = "--target", paramLabel = "TARGET", defaultValue = "llvm", description = "What to generate: llvm or cuda. Default: ${DEFAULT-VALUE}.")
    String target;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Where to write the kernels (one folder per cascade).")
    Path output;

    @Option(names = "--emit", paramLabel = "WHAT", description = "Print instead of writing: llvm (the IR after O3), llvm-raw (as generated) or cu (the CUDA source).")
    String emit;

    @Option(names = "--cascade", paramLabel = "NAME", description = "Only this cascade of the file.")
    String cascadeName;

    @Option(names = "--arch", paramLabel = "SM", defaultValue = "sm_90", description = "CUDA: the GPU architecture for nvcc. Default: ${DEFAULT-VALUE}.")
    String arch;

    @Option(names = "--no-fuse", description = "CUDA: one kernel per statement, even for attention-shaped cascades.")
    boolean noFuse;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException, InterruptedException {
        if ("cu".equals(emit) || target.equals("cuda")) return cuda();
        if (!target.equals("llvm")) throw EincException.plain(Code.BAD_ARGUMENT, "unknown target '" + target + "'; the targets are llvm, cuda");
        if (emit != null && !emit.equals("llvm") && !emit.equals("llvm-raw"))
            throw EincException.plain(Code.BAD_ARGUMENT, "unknown --emit '" + emit + "'; it can be llvm or llvm-raw");
        if (emit == null && output == null) throw EincException.plain(Code.BAD_ARGUMENT, "say where to write the kernels with -o DIR (or print them with --emit=llvm)");
        List<Cascade> cascades = Sources.compile(file);
        PrintWriter out = spec.commandLine().getOut();
        boolean any = false;
        for (Cascade c : cascades) {
            if (cascadeName != null && !c.name().equals(cascadeName)) continue;
            any = true;
            if (emit != null) out.print(LlvmRunner.emit(c, emit.equals("llvm")));
            else out.println(LlvmRunner.compile(c, cascades.size() == 1 ? output : output.resolve(c.name())));
        }
        if (!any) throw EincException.plain(Code.UNKNOWN_CASCADE, "'" + file + "' has no cascade '" + cascadeName + "'");
        out.flush();
        return Main.OK;
    }

    /** {@code --target cuda} and {@code --emit=cu}. */
    private Integer cuda() throws java.io.IOException, InterruptedException {
        if (emit != null && !emit.equals("cu")) throw EincException.plain(Code.BAD_ARGUMENT, "unknown --emit '" + emit + "' for --target cuda; it can be cu");
        if (emit == null && output == null) throw EincException.plain(Code.BAD_ARGUMENT, "say where to write the kernels with -o DIR (or print them with --emit=cu)");
        List<Cascade> all = Sources.compile(file);
        List<Cascade> cascades = all.stream().filter(c -> cascadeName == null || c.name().equals(cascadeName)).toList();
        if (cascades.isEmpty()) throw EincException.plain(Code.UNKNOWN_CASCADE, "'" + file + "' has no cascade '" + cascadeName + "'");
        PrintWriter out = spec.commandLine().getOut();
        if (emit != null) CudaCompile.emit(cascades, !noFuse, out);
        else CudaCompile.write(cascades, all.size() > 1, output, !noFuse, arch, out);
        out.flush();
        return Main.OK;
    }
}
