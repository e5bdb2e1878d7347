package einc.runtime;

import java.util.Map;

/**
 * A compiled cascade, ready to run on tensors. Every shape is checked once per call, before any
 * loop runs: a wrong shape is a {@link KernelException} naming the tensor, the rank and both extents.
 */
public interface Kernel {

    /**
     * Computes every output of the cascade into {@code outputs} (one tensor per declared output,
     * shaped as the declaration says) from {@code inputs}; {@code params} may leave out parameters
     * that have defaults.
     */
    void run(Map<String, Tensor> inputs, Map<String, Tensor> outputs, Map<String, Double> params);

    /** What the kernel takes and gives. */
    Signature signature();

    /** Allocates zero-filled heap outputs shaped for {@code inputs} (and {@code explicit} extents), then runs. */
    default Map<String, Tensor> run(Map<String, Tensor> inputs, Map<String, Double> params) {
        Map<String, Tensor> outputs = signature().allocateOutputs(inputs, Map.of());
        run(inputs, outputs, params);
        return outputs;
    }
}
