package einc.codegen.jvm;

import einc.ir.Cascade;
import einc.runtime.ElementType;
import einc.runtime.Kernel;
import einc.runtime.LoadedKernel;
import einc.runtime.Npy;
import einc.runtime.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ahead of time: the classes and manifest einc writes run in a fresh JVM whose class path holds the
 * runtime and a small app alone, on the fused path with the Vector API module and on the generic
 * path without it.
 */
class AotRoundTripTest {

    static final String APP = """
            import einc.runtime.*;
            import java.nio.file.*;
            import java.util.*;

            public class App {
                public static void main(String[] a) throws Exception {
                    try {
                        Class.forName("einc.ir.Cascade");
                        System.out.println("compiler classes present");
                    } catch (ClassNotFoundException expected) {
                        System.out.println("runtime only");
                    }
                    LoadedKernel k = Kernels.load(Path.of(a[0]));
                    Map<String, Tensor> in = new LinkedHashMap<>();
                    for (Signature.TensorSpec t : k.signature().inputs()) in.put(t.name(), Npy.read(Path.of(a[1], t.name() + ".npy")));
                    Map<String, Tensor> out = k.run(in, Map.of());
                    for (Map.Entry<String, Tensor> e : out.entrySet()) Npy.write(Path.of(a[2], e.getKey() + ".npy"), e.getValue());
                    System.out.println(k.variant());
                }
            }
            """;

    @Test
    void aFreshJvmWithTheRuntimeAloneRunsTheWrittenKernel(@TempDir Path tmp) throws Exception {
        roundTrip(tmp, Cascades.causal(), List.of("Q", "K", "V"), "fused");
    }

    @Test
    void theGenericClassRunsItsRowKernelsAndLaneWiseLoopsWithAndWithoutTheVectorModule(@TempDir Path tmp) throws Exception {
        // Differential attention has no fused class: its generic class holds row kernels and lane-wise
        // loops, which must load (and fall back to plain loops) in a JVM without the module.
        Path file = Path.of("../../examples/attention/differential.ein");
        Cascade c = einc.frontend.Frontend.compile(new einc.ir.Source(file.toString(), Files.readString(file))).getFirst();
        JvmKernel k = JvmBackend.compile(c);
        assertTrue(Bytecode.text(k.genericClass()).contains("rowDot"), "no row kernel in the generic class");
        assertTrue(Bytecode.text(k.genericClass()).contains("intoArray"), "no lane-wise loop in the generic class");
        roundTrip(tmp, c, List.of("Q1", "K1", "Q2", "K2", "V"), "generic");
    }

    /** Writes {@code c}'s kernel, runs it in fresh JVMs without and with the module, and compares with this JVM's generic run. */
    private static void roundTrip(Path tmp, Cascade c, List<String> inputNames, String variantWithVector) throws Exception {
        JvmKernel compiled = JvmBackend.compile(c);
        Path kernels = tmp.resolve("kernels");
        compiled.write(kernels, "test", "0".repeat(64));
        assertEquals(List.of(c.name()), einc.runtime.Kernels.names(kernels));

        Random rnd = new Random(3);
        Path in = Files.createDirectories(tmp.resolve("in"));
        Map<String, Tensor> inputs = new java.util.LinkedHashMap<>();
        for (String name : inputNames) {
            Tensor t = Tensor.zeros(ElementType.F32, 2, 3, 37, 16);
            float[] f = new float[Math.toIntExact(t.size())];
            for (int i = 0; i < f.length; i++) f[i] = (float) rnd.nextGaussian();
            t.copyFrom(f);
            inputs.put(name, t);
            Npy.write(in.resolve(name + ".npy"), t);
        }
        Kernel here = compiled.loadGeneric();
        double[] want = here.run(inputs, Map.of()).get("AV").toDoubleArray();

        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(app.resolve("App.java"), APP);
        String runtime = Path.of(LoadedKernel.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        ByteArrayOutputStream javacErr = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, javacErr,
                "-cp", runtime, "-d", app.toString(), app.resolve("App.java").toString());
        assertEquals(0, rc, javacErr.toString());

        for (boolean vector : List.of(false, true)) {
            Path out = Files.createDirectories(tmp.resolve("out-" + vector));
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            if (vector) cmd.add("--add-modules=jdk.incubator.vector");
            cmd.addAll(List.of("-cp", runtime + java.io.File.pathSeparator + app, "App", kernels.toString(), in.toString(), out.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), log);
            assertTrue(log.contains("runtime only"), log);
            assertTrue(log.contains(vector ? variantWithVector : "generic"), log);
            double[] got = Npy.read(out.resolve("AV.npy")).toDoubleArray();
            double num = 0, den = 0;
            for (int i = 0; i < want.length; i++) {
                num += (want[i] - got[i]) * (want[i] - got[i]);
                den += want[i] * want[i];
            }
            assertTrue(Math.sqrt(num / den) < 1e-5, "relative L2 error " + Math.sqrt(num / den));
        }
    }
}
