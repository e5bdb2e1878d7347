package einc.codegen.cuda;

import einc.ir.Cascade;
import einc.ir.Dense;
import einc.ir.DType;
import einc.ir.Extents;
import einc.ir.TensorDecl;
import einc.runtime.cuda.CudaCheck;
import einc.runtime.cuda.CudaKernel;
import einc.runtime.cuda.CudaPlan;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs a cascade on the GPU the way {@code einc run --backend cuda} does: generates the CUDA program,
 * compiles it through NVRTC (cubin cache on disk), moves the inputs to the device, runs, and brings
 * the outputs back as float64 arrays (absent entries as 0).
 */
public final class CudaBackend {

    private CudaBackend() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The outputs of {@code c} on {@code inputs}, computed on the GPU.
     *
     * @throws einc.ir.EincException with one sentence when there is no GPU
     */
    public static Map<String, Dense> run(Cascade c, Extents x, Map<String, Dense> inputs, Map<String, Double> params) {
        try {
            CudaCheck.require();
        } catch (einc.runtime.cuda.CudaUnavailableException e) {
            throw einc.ir.EincException.plain(einc.ir.Code.UNSUPPORTED, e.getMessage());
        }
        CudaProgram p = CudaCodegen.generate(c);
        CudaKernel k = CudaKernel.jit(p.plan(), p.source());
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (TensorDecl t : c.inputs()) {
            int[] s = x.shape(t);
            long[] l = new long[s.length];
            for (int i = 0; i < s.length; i++) l[i] = s[i];
            shapes.put(t.name(), l);
        }
        Map<String, Long> given = new LinkedHashMap<>();
        for (CudaPlan.ExtentRule r : p.plan().extents()) if (r.kind() == CudaPlan.ExtentRule.Kind.GIVEN) given.put(r.index(), x.of(r.index()));
        Map<String, Dense> out = new LinkedHashMap<>();
        try (CudaKernel.Session s = k.bind(k.extents(shapes, given))) {
            for (TensorDecl t : c.inputs()) s.upload(t.name(), encode(t.type(), inputs.get(t.name()).data()));
            s.run(params);
            for (TensorDecl t : c.outputs()) {
                MemorySegment host = MemorySegment.ofArray(new byte[Math.toIntExact(s.bytes(t.name()))]);
                s.download(t.name(), host);
                out.put(t.name(), new Dense(x.shape(t), decode(t.type(), host)));
            }
        }
        return out;
    }

    static MemorySegment encode(DType t, double[] v) {
        MemorySegment s = MemorySegment.ofArray(new byte[v.length * t.bytes()]);
        for (int i = 0; i < v.length; i++) {
            switch (t) {
                case F32 -> s.setAtIndex(F32, i, (float) v[i]);
                case F64 -> s.setAtIndex(F64, i, v[i]);
                case F16 -> s.setAtIndex(S16, i, Float.floatToFloat16((float) v[i]));
                case BF16 -> {
                    int b = Float.floatToRawIntBits((float) v[i]);
                    s.setAtIndex(S16, i, (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16));
                }
            }
        }
        return s;
    }

    static double[] decode(DType t, MemorySegment s) {
        double[] out = new double[(int) (s.byteSize() / t.bytes())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (t) {
                case F32 -> s.getAtIndex(F32, i);
                case F64 -> s.getAtIndex(F64, i);
                case F16 -> Float.float16ToFloat(s.getAtIndex(S16, i));
                case BF16 -> Float.intBitsToFloat((s.getAtIndex(S16, i) & 0xFFFF) << 16);
            };
        }
        return out;
    }
}
