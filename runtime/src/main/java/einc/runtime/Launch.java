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

    public Launch(float[][] tensors, int[] extents, float[] params) {
        this.tensors = tensors;
        this.extents = extents;
        this.params = params;
    }
}
