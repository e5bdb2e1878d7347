package einc.codegen.llvm;

import einc.ir.Cascade;
import einc.ir.Dense;
import einc.runtime.NativeKernel;
import einc.runtime.NativeManifest;
import einc.runtime.Npy;
import einc.runtime.Tensor;
import einc.testing.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ahead of time: the kernel written as {@code .ll}, object file, shared library and manifest runs in
 * a fresh JVM whose class path holds only the runtime jar (no LLVM, no compiler), and agrees with
 * the interpreter.
 */
class AotRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void sharedLibraryRunsInAFreshJvmWithOnlyTheRuntime() throws Exception {
        // chunked causal linear attention: recurrences over key blocks, the generic path
        roundTrip("attention/linear_causal.ein", "generic kernel", Map.of("b", 2, "h", 3, "p", 37, "m", 37, "e", 8, "f", 6));
    }

    @Test
    void fusedKernelRunsInAFreshJvmWithOnlyTheRuntime() throws Exception {
        roundTrip("attention/gqa.ein", "fused attention kernel", Map.of("b", 2, "h", 4, "g", 2, "p", 70, "m", 93, "e", 40, "f", 24));
    }

    private void roundTrip(String example, String variant, Map<String, Integer> shape) throws Exception {
        Path file = Examples.root().resolve(example);
        Cascade c = Examples.compile(file).getFirst();
        Path kernel = dir.resolve("kernel");
        NativeManifest m = LlvmBackend.compile(c, kernel);
        String symbol = m.symbol();
        for (String f : List.of(symbol + ".ll", symbol + ".o", "lib" + symbol + ".so", NativeManifest.FILE))
            assertTrue(Files.size(kernel.resolve(f)) > 0, f + " is missing or empty");
        String ll = Files.readString(kernel.resolve(symbol + ".ll"));
        assertTrue(ll.contains("define void @" + symbol + "("));
        assertTrue(ll.lines().findFirst().orElseThrow().contains(variant), ll.lines().findFirst().orElseThrow());

        Map<String, int[]> shapes = Examples.inputShapes(c, shape);
        Map<String, Dense> inputs = Examples.inputs(shapes, 7);
        for (var e : inputs.entrySet()) Npy.write(dir.resolve(e.getKey() + ".npy"), Examples.tensor(e.getValue()));

        Path jar = runtimeJar(dir.resolve("einc-runtime.jar"));
        Path main = dir.resolve("RunKernel.java");
        Files.writeString(main, """
                import einc.runtime.*;
                import java.nio.file.*;
                import java.util.*;
                public class RunKernel {
                    public static void main(String[] args) throws Exception {
                        Path d = Path.of(args[0]);
                        try { Class.forName("org.bytedeco.llvm.global.LLVM"); throw new AssertionError("llvm is on the class path"); }
                        catch (ClassNotFoundException expected) {}
                        NativeKernel k = NativeKernel.load(d.resolve("kernel"));
                        Map<String, Tensor> in = new LinkedHashMap<>();
                        for (String n : k.manifest().inputs().keySet()) in.put(n, Npy.read(d.resolve(n + ".npy")));
                        Map<String, Tensor> out = k.run(in, Map.of(), 2);
                        for (var e : out.entrySet()) Npy.write(d.resolve("out_" + e.getKey() + ".npy"), e.getValue());
                        System.out.println("ran " + k.manifest().cascade());
                    }
                }
                """);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp", jar.toString(), main.toString(), dir.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the fresh jvm did not finish");
        assertEquals(0, p.exitValue(), log);
        assertTrue(log.contains("ran " + c.name()), log);

        Map<String, Dense> want = Examples.reference(c, inputs, shapes);
        for (var e : want.entrySet()) {
            Tensor got = Npy.read(dir.resolve("out_" + e.getKey() + ".npy"));
            double err = Errors.relativeL2(got.toDoubleArray(), e.getValue().data());
            assertTrue(err < ExamplesAgreeTest.TOLERANCE, e.getKey() + ": relative L2 error " + err);
        }
    }

    /** The runtime's classes as a jar (they come from a folder when the reactor builds them). */
    private static Path runtimeJar(Path jar) throws Exception {
        Path source = Path.of(NativeKernel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isRegularFile(source)) return source;
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os);
             Stream<Path> walk = Files.walk(source)) {
            for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(source.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new IOException("cannot pack the runtime classes of " + source, e);
        }
        return jar;
    }
}
