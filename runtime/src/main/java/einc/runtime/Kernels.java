package einc.runtime;

import einc.runtime.gen.Anchor;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.io.StringReader;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Stream;

/**
 * Loads kernels that einc compiled ahead of time ({@code einc compile --target jvm -o DIR}): a
 * manifest per cascade and its class files. Needs nothing but this runtime.
 */
public final class Kernels {

    /** The manifest file name suffix: {@code DIR/<cascade>.manifest}. */
    public static final String MANIFEST = ".manifest";

    private Kernels() {}

    /** Whether the Vector API module is in the boot layer, so that fused (vectorized) classes can run. */
    public static boolean vectorAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** The one kernel in {@code dir}. */
    public static LoadedKernel load(Path dir) {
        List<String> names = names(dir);
        if (names.size() != 1)
            throw new KernelException(dir + " holds " + names.size() + " kernels " + names + "; name the one to load");
        return load(dir, names.getFirst());
    }

    /** The kernel of cascade {@code name} in {@code dir}. */
    public static LoadedKernel load(Path dir, String name) {
        try {
            String text = Files.readString(dir.resolve(name + MANIFEST), StandardCharsets.UTF_8);
            Signature sig = Signature.fromManifest(text);
            Properties p = new Properties();
            p.load(new StringReader(text));
            String fused = p.getProperty("class.fused");
            boolean useFused = fused != null && vectorAvailable();
            String file = useFused ? fused.trim() : Signature.required(p, "class.generic");
            byte[] bytes = Files.readAllBytes(dir.resolve(file));
            return kernel(sig, bytes, useFused ? "fused" : "generic");
        } catch (IOException e) {
            throw new KernelException("cannot read kernel '" + name + "' from " + dir + ": " + e.getMessage());
        }
    }

    /** The cascades whose kernels {@code dir} holds, sorted. */
    public static List<String> names(Path dir) {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(MANIFEST)).sorted()
                    .forEach(f -> out.add(f.substring(0, f.length() - MANIFEST.length())));
        } catch (IOException e) {
            throw new KernelException("cannot list " + dir + ": " + e.getMessage());
        }
        return out;
    }

    /** Defines {@code classBytes} (a generated class) as a hidden class and wraps it as a kernel. */
    public static LoadedKernel kernel(Signature signature, byte[] classBytes, String variant) {
        try {
            CompiledCascade code;
            if (Boolean.getBoolean("einc.visibleClasses")) {
                // For profilers, which hide the frames of hidden classes: an ordinary class in its own loader.
                Class<?> k = new ClassLoader(Kernels.class.getClassLoader()) {
                    Class<?> define() {
                        return defineClass(null, classBytes, 0, classBytes.length);
                    }
                }.define();
                code = (CompiledCascade) k.getConstructor().newInstance();
            } else {
                MethodHandles.Lookup lookup = Anchor.lookup().defineHiddenClass(classBytes, true);
                code = (CompiledCascade) lookup.findConstructor(lookup.lookupClass(),
                        java.lang.invoke.MethodType.methodType(void.class)).invoke();
            }
            return new LoadedKernel(signature, code, defaultPool(), variant);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new KernelException("cannot instantiate the generated kernel class: " + t);
        }
    }

    private static ForkJoinPool defaultPool() {
        String threads = System.getProperty("einc.threads");
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads.trim());
        return n <= 1 ? null : n == ForkJoinPool.getCommonPoolParallelism() ? ForkJoinPool.commonPool() : new ForkJoinPool(n);
    }
}
