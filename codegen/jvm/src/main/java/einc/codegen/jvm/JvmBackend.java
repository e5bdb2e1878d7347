package einc.codegen.jvm;

import einc.ir.Cascade;
import einc.runtime.gen.Anchor;

import java.util.Locale;

/**
 * The JVM backend: compiles a cascade to generated classes. Always a generic class (one loop nest
 * per statement); a fused, vectorized class as well when {@link AttentionMatch} recognizes
 * softmax attention.
 */
public final class JvmBackend {

    private JvmBackend() {}

    /** Compiles {@code c}; never fails on a valid cascade (the generic path accepts every one). */
    public static JvmKernel compile(Cascade c) {
        KernelPlan plan = new KernelPlan(c);
        String base = Anchor.PACKAGE + "K_" + safe(c.name());
        byte[] generic = new GenericEmitter(plan, base + "_generic").emit();
        AttentionMatch.Result match = AttentionMatch.match(c);
        byte[] fused = match.attention() == null ? null : new AttentionEmitter(plan, match.attention(), base + "_fused").emit();
        return new JvmKernel(Signatures.of(c), generic, fused, match.reason());
    }

    static String safe(String name) {
        StringBuilder sb = new StringBuilder();
        for (char ch : name.toCharArray()) sb.append(Character.isLetterOrDigit(ch) ? ch : '_');
        return sb.toString().toLowerCase(Locale.ROOT).isEmpty() ? "cascade" : sb.toString();
    }
}
