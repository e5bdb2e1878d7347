package einc.runtime.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Supplier;

/**
 * Cubins on disk keyed by the SHA-256 of the source, the target and the compiler's version, so a
 * kernel is compiled once per machine. The folder is {@code -Deinc.cache=DIR}, else
 * {@code $EINC_CACHE}, else {@code ~/.cache/einc/cuda}.
 */
public final class CubinCache {

    private final Path dir;

    public CubinCache(Path dir) {
        this.dir = dir;
    }

    public static CubinCache standard() {
        String prop = System.getProperty("einc.cache");
        String env = System.getenv("EINC_CACHE");
        Path dir = prop != null ? Path.of(prop) : env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "einc", "cuda");
        return new CubinCache(dir);
    }

    public static String key(String source, String arch, String compiler) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((arch + "\0" + compiler + "\0").getBytes(StandardCharsets.UTF_8));
            md.update(source.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The cached image for {@code key}, or {@code compile}'s result stored under it. */
    public byte[] get(String key, Supplier<byte[]> compile) {
        Path file = dir.resolve(key + ".cubin");
        try {
            if (Files.isRegularFile(file)) return Files.readAllBytes(file);
        } catch (IOException e) {
            // unreadable entry: compile again
        }
        byte[] image = compile.get();
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, key, ".tmp");
            Files.write(tmp, image);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // a cache that cannot be written only costs a compile next time
        }
        return image;
    }

    public Path dir() {
        return dir;
    }

}
