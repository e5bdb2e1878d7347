package einc.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** einc's version, from {@code version.properties} that Maven fills in at build time. */
public final class Version implements IVersionProvider {

    /** The project version, e.g. {@code 0.1.0-SNAPSHOT}, or "unknown" when run from unfiltered classes. */
    public static String get() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.startsWith("${")) return v;
            }
        } catch (IOException e) {
            // fall through to the manifest
        }
        String fromManifest = Version.class.getPackage().getImplementationVersion();
        return fromManifest != null ? fromManifest : "unknown";
    }

    @Override
    public String[] getVersion() {
        return new String[] {"einc " + get() + " (Java " + Runtime.version() + ")"};
    }
}
