package einc.runtime;

/** A kernel was called with tensors or parameters that do not fit its signature; the message says which. */
public final class KernelException extends RuntimeException {

    public KernelException(String message) {
        super(message);
    }
}
