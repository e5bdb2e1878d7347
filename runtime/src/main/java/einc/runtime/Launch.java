package einc.runtime;

/**
 * The arguments of one kernel call as generated code reads them: dense row-major f32 arrays of
 * the inputs then the outputs (signature order), the extents (signature index order) and the
 * parameters (signature order).
 */
public final class Launch {

    public final float[][] tensors;
    public final int[] extents;
    public final float[] params;
    /** The pool whose threads may split the work inside a slice ({@link Chunks}); null: the caller's thread only. */
    public final java.util.concurrent.ForkJoinPool pool;

    public Launch(float[][] tensors, int[] extents, float[] params) {
        this(tensors, extents, params, null);
    }

    public Launch(float[][] tensors, int[] extents, float[] params, java.util.concurrent.ForkJoinPool pool) {
        this.tensors = tensors;
        this.extents = extents;
        this.params = params;
        this.pool = pool;
    }
}
