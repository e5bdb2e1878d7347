package einc.cli;

import einc.codegen.jvm.JvmBackend;
import einc.codegen.jvm.JvmKernel;
import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.EincException;
import einc.ir.Source;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code einc compile FILE --target jvm|llvm -o DIR}: compiles every cascade of a file ahead of time,
 * for an app that has the runtime alone: class files and a manifest ({@code Kernels.load(DIR)}) for
 * {@code jvm}; {@code .ll}, object file, shared library and manifest ({@code NativeKernel.load}) for
 * {@code llvm}. {@code --emit} prints the generated code instead.
 */
@Command(name = "compile", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compile cascades ahead of time (jvm: class files + manifest; llvm: shared library + manifest), or print the generated code.")
final class CompileCommand implements Callable<Integer> {

    /** What {@code --emit} may ask of each target. */
    private static final Map<String, List<String>> EMITS = Map.of("jvm", List.of("bytecode"), "llvm", List.of("llvm", "llvm-raw"), "cuda", List.of("cu"));

    @Parameters(paramLabel = "FILE", description = "The .ein file.")
    Path file;

    @Option(names = "--target", paramLabel = "TARGET", description = "What to generate: jvm, llvm or cuda. Default: the target of --emit, else jvm.")
    String target;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Where to write the kernels.")
    Path output;

    @Option(names = "--emit", paramLabel = "WHAT",
            description = "Print instead of writing: bytecode (jvm: the generated classes, as ASM's Textifier prints them), llvm (the IR after O3), llvm-raw (as generated) or cu (the CUDA source).")
    String emit;

    @Option(names = "--cascade", paramLabel = "NAME", description = "Only this cascade of the file.")
    String cascadeName;

    @Option(names = "--arch", paramLabel = "SM", defaultValue = "sm_90", description = "cuda: the GPU architecture for nvcc. Default: ${DEFAULT-VALUE}.")
    String arch;

    @Mixin
    OptimizeOptions optimize;

    @Option(names = "--no-fuse", description = "cuda: one kernel per statement, even for attention-shaped cascades.")
    boolean noFuse;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException, InterruptedException {
        if (target == null) target = emit != null && emit.startsWith("llvm") ? "llvm" : "cu".equals(emit) ? "cuda" : "jvm";
        List<String> emits = EMITS.get(target);
        if (emits == null) throw EincException.plain(Code.BAD_ARGUMENT, "unknown target '" + target + "'; the targets are jvm, llvm and cuda");
        if (emit != null && !emits.contains(emit))
            throw EincException.plain(Code.BAD_ARGUMENT, "--emit '" + emit + "' does not fit --target " + target + "; it can be " + String.join(" or ", emits));
        if (emit == null && output == null)
            throw EincException.plain(Code.BAD_ARGUMENT, "say where to write the kernels with -o DIR (or print them with --emit=" + emits.getFirst() + ")");
        Source source = Sources.read(file);
        List<Cascade> cascades = Sources.compile(source);
        List<Cascade> chosen = Sources.select(cascades, file, cascadeName);
        PrintWriter out = spec.commandLine().getOut();
        if (target.equals("cuda")) {
            chosen = chosen.stream().map(c -> CudaCompile.kernelCascade(optimize.plan(c).optimized())).toList();
            if (emit != null) CudaCompile.emit(chosen, !noFuse, out);
            else CudaCompile.write(chosen, cascades.size() > 1, output, !noFuse, arch, out);
            out.flush();
            return Main.OK;
        }
        for (Cascade c : chosen) {
            Backends.Plan plan = optimize.plan(c);
            if (target.equals("llvm")) {
                Cascade p = plan.optimized();
                if (emit != null) out.print(LlvmRunner.emit(p, emit.equals("llvm")));
                else out.println(LlvmRunner.compile(p, cascades.size() == 1 ? output : output.resolve(c.name())));
                continue;
            }
            JvmKernel k = JvmBackend.compile(plan.optimized());
            if (emit != null) {
                out.print(k.text());
            } else {
                Path manifest = k.write(output, Version.get(), sha256(source.text()));
                out.println(c.name() + ": " + (k.fusedClass() != null ? "fused + generic" : "generic (" + k.fusedNote() + ")") + " -> " + manifest);
            }
        }
        out.flush();
        return Main.OK;
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
