package einc.runtime.cuda;

/**
 * Free of JavaCPP types, so it loads where the CUDA jars are missing: call {@link #require()} before
 * touching {@link Cuda} or {@link CudaKernel} to get one clean sentence instead of a linkage error.
 */
public final class CudaCheck {

    private CudaCheck() {}

    /**
     * Opens the GPU.
     *
     * @throws CudaUnavailableException when the CUDA jars, the driver or a device is missing
     */
    public static void require() {
        try {
            Class.forName("org.bytedeco.javacpp.Pointer", false, CudaCheck.class.getClassLoader());
            Class.forName("org.bytedeco.cuda.global.cudart", false, CudaCheck.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new CudaUnavailableException("the CUDA backend needs org.bytedeco:cuda and org.bytedeco:javacpp (linux-x86_64) on the class path");
        }
        Cuda.open();
    }
}
