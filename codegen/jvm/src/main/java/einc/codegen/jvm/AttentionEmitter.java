package einc.codegen.jvm;

/** Emits the fused attention class. */
final class AttentionEmitter {
    AttentionEmitter(KernelPlan plan, AttentionMatch.Attention a, String name) {}

    byte[] emit() {
        throw new UnsupportedOperationException();
    }
}
