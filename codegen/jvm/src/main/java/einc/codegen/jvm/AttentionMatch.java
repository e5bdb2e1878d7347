package einc.codegen.jvm;

import einc.ir.Cascade;

/** Recognizes softmax attention in a cascade, for the fused kernel. */
final class AttentionMatch {

    /** The recognized attention, or null and the reason it was not recognized. */
    record Result(Attention attention, String reason) {}

    /** What the fused kernel needs to know. */
    record Attention() {}

    private AttentionMatch() {}

    static Result match(Cascade c) {
        return new Result(null, "not yet");
    }
}
