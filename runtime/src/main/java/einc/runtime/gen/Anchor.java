package einc.runtime.gen;

import java.lang.invoke.MethodHandles;

/**
 * The package generated kernel classes live in: einc defines them as hidden classes through this
 * lookup, both right after compiling (JIT) and when {@code Kernels.load} reads class files (AOT).
 */
public final class Anchor {

    /** Internal name of the package of generated classes. */
    public static final String PACKAGE = "einc/runtime/gen/";

    private Anchor() {}

    public static MethodHandles.Lookup lookup() {
        return MethodHandles.lookup();
    }
}
