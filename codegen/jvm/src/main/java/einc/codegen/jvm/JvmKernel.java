package einc.codegen.jvm;

import einc.runtime.Kernels;
import einc.runtime.LoadedKernel;
import einc.runtime.Signature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A compiled cascade: its signature, the generic class and, when attention was recognized, the
 * fused class; loads them as hidden classes or writes them as an AOT directory.
 *
 * @param fusedNote why there is no fused class (empty when there is one)
 */
public record JvmKernel(Signature signature, byte[] genericClass, byte[] fusedClass, String fusedNote) {

    /** The fused kernel when there is one and the Vector API is present, else the generic one. */
    public LoadedKernel load() {
        return fusedClass != null && Kernels.vectorAvailable() ? loadFused() : loadGeneric();
    }

    public LoadedKernel loadGeneric() {
        return Kernels.kernel(signature, genericClass, "generic");
    }

    public LoadedKernel loadFused() {
        if (fusedClass == null) throw new IllegalStateException("no fused class: " + fusedNote);
        return Kernels.kernel(signature, fusedClass, "fused");
    }

    /** Both classes as ASM's Textifier prints them. */
    public String text() {
        StringBuilder sb = new StringBuilder(Bytecode.text(genericClass));
        if (fusedClass != null) sb.append('\n').append(Bytecode.text(fusedClass));
        return sb.toString();
    }

    /**
     * Writes {@code DIR/<cascade>.manifest} and the class files, for {@link Kernels#load(Path)}.
     *
     * @return the manifest's path
     */
    public Path write(Path dir, String eincVersion, String sourceHash) {
        String name = signature.cascade();
        try {
            Files.createDirectories(dir);
            StringBuilder m = new StringBuilder();
            m.append("# einc kernel manifest\n");
            m.append("einc.version = ").append(eincVersion).append('\n');
            m.append("source.sha256 = ").append(sourceHash).append('\n');
            m.append(signature.toManifest());
            Files.write(dir.resolve(name + ".generic.class"), genericClass);
            m.append("class.generic = ").append(name).append(".generic.class\n");
            if (fusedClass != null) {
                Files.write(dir.resolve(name + ".fused.class"), fusedClass);
                m.append("class.fused = ").append(name).append(".fused.class\n");
            }
            Path manifest = dir.resolve(name + Kernels.MANIFEST);
            Files.writeString(manifest, m.toString(), StandardCharsets.UTF_8);
            return manifest;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write kernel '" + name + "' to " + dir, e);
        }
    }
}
