package einc.runtime.cuda;

/** A CUDA driver or NVRTC call failed: names the call and the driver's error. */
public final class CudaException extends RuntimeException {

    public CudaException(String message) {
        super(message, null, false, false);
    }
}
