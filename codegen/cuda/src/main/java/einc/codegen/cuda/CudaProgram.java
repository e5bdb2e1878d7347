package einc.codegen.cuda;

import einc.runtime.cuda.CudaPlan;

/**
 * The CUDA form of a cascade: one {@code .cu} translation unit (no headers, so NVRTC needs no
 * include path) and the plan that says which of its kernels to launch, in which order, on which grid.
 * {@code fused} tells whether the fused attention template was used.
 */
public record CudaProgram(String source, CudaPlan plan, boolean fused, String why) {}
