package einc.cli;

import einc.codegen.jvm.JvmBackend;
import einc.codegen.jvm.JvmKernel;
import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.EincException;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code einc compile FILE --target jvm -o DIR}: compiles every cascade of a file ahead of time into
 * class files and a manifest per cascade, for {@code Kernels.load(DIR)} in an app that has the
 * runtime alone; {@code --emit=bytecode} prints the generated classes instead.
 */
@Command(name = "compile", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compile cascades ahead of time (class files + manifest), or print the generated code.")
final class CompileCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "The .ein file.")
    Path file;

    @Option(names = "--target", paramLabel = "TARGET", defaultValue = "jvm", description = "What to generate: jvm. Default: ${DEFAULT-VALUE}.")
    String target;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Where to write the kernels.")
    Path output;

    @Option(names = "--emit", paramLabel = "WHAT", description = "Print instead of writing: bytecode (the generated classes, as ASM's Textifier prints them).")
    String emit;

    @Option(names = "--cascade", paramLabel = "NAME", description = "Only this cascade of the file.")
    String cascadeName;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!target.equals("jvm")) throw EincException.plain(Code.BAD_ARGUMENT, "unknown target '" + target + "'; the targets are jvm");
        if (emit != null && !emit.equals("bytecode")) throw EincException.plain(Code.BAD_ARGUMENT, "unknown --emit '" + emit + "'; it can be bytecode");
        if (emit == null && output == null) throw EincException.plain(Code.BAD_ARGUMENT, "say where to write the kernels with -o DIR (or print them with --emit=bytecode)");
        String text = Sources.read(file).text();
        List<Cascade> cascades = Sources.compile(file);
        PrintWriter out = spec.commandLine().getOut();
        boolean any = false;
        for (Cascade c : cascades) {
            if (cascadeName != null && !c.name().equals(cascadeName)) continue;
            any = true;
            JvmKernel k = JvmBackend.compile(c);
            if (emit != null) {
                out.print(k.text());
            } else {
                Path manifest = k.write(output, Version.get(), sha256(text));
                out.println(c.name() + ": " + (k.fusedClass() != null ? "fused + generic" : "generic (" + k.fusedNote() + ")") + " -> " + manifest);
            }
        }
        if (!any) throw EincException.plain(Code.UNKNOWN_CASCADE, "'" + file + "' has no cascade '" + cascadeName + "'");
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
