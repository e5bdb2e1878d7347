package einc.codegen.cuda;

import einc.ir.Cascade;

/**
 * The CUDA backend's entry: a fused flash-attention kernel when {@link AttentionRecognizer} finds a
 * softmax-attention-shaped cascade, one kernel per statement otherwise.
 */
public final class CudaCodegen {

    private CudaCodegen() {}

    /** The CUDA program of {@code c}. */
    public static CudaProgram generate(Cascade c) {
        return generate(c, true);
    }

    /** The CUDA program of {@code c}; {@code fuse} false forces one kernel per statement. */
    public static CudaProgram generate(Cascade c, boolean fuse) {
        return generate(c, fuse, "einc_" + c.name().replaceAll("[^A-Za-z0-9_]", "_"));
    }

    /** As {@link #generate(Cascade, boolean)}, kernel names starting with {@code prefix}. */
    public static CudaProgram generate(Cascade c, boolean fuse, String prefix) {
        if (!fuse) return StatementKernels.generate(c, prefix, "fusion turned off");
        AttentionRecognizer.Result r = AttentionRecognizer.recognize(c);
        if (r.pattern().isPresent()) return FlashKernels.generate(c, r.pattern().get(), prefix, r.why());
        return StatementKernels.generate(c, prefix, "one kernel per statement: not attention-shaped, because " + r.why());
    }
}
