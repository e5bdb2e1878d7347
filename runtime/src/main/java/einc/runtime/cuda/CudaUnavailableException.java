package einc.runtime.cuda;

/** There is no usable GPU here (no driver, no device, or the CUDA jars are missing); the message is one sentence for the user. */
public final class CudaUnavailableException extends RuntimeException {

    public CudaUnavailableException(String message) {
        super(message, null, false, false);
    }
}
