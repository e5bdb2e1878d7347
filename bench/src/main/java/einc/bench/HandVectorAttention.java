package einc.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * The second anchor: softmax attention written by hand with the Vector API and an online softmax,
 * the way a Java programmer who knows both would write it without a compiler: K transposed once
 * per head, then for each query row blocks of {@link #BK} keys (scores of the block in four
 * vectors, the running max and sum rescaled once per block, exp with the Vector API's
 * {@code EXP}, the weighted sum of V's rows vectorized along D); causal rows stop at the
 * diagonal. {@code [B, H, N, D]} row-major arrays, one (batch, head) per fork-join task.
 */
public final class HandVectorAttention {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /** Keys per block: four vectors. */
    private static final int BK = 4 * VL;

    private HandVectorAttention() {}

    public static void run(float[] q, float[] k, float[] v, float[] o, int bh, int n, int d, boolean causal, ForkJoinPool pool) {
        float scale = (float) (1 / Math.sqrt(d));
        pool.submit(() -> IntStream.range(0, bh).parallel().forEach(h -> head(q, k, v, o, h * n * d, n, d, causal, scale))).join();
    }

    static void head(float[] q, float[] k, float[] v, float[] o, int base, int n, int d, boolean causal, float scale) {
        // kt[e * np + m] = K[m][e], zero for the padding keys up to a multiple of BK.
        int np = (n + BK - 1) / BK * BK;
        float[] kt = new float[d * np];
        for (int m = 0; m < n; m++)
            for (int e = 0; e < d; e++) kt[e * np + m] = k[base + m * d + e];
        float[] s = new float[BK];
        float[] acc = new float[d];
        float[] qs = new float[d];
        for (int p = 0; p < n; p++) {
            int end = causal ? p + 1 : n;
            for (int e = 0; e < d; e++) qs[e] = q[base + p * d + e] * scale;
            Arrays.fill(acc, 0f);
            float max = Float.NEGATIVE_INFINITY, sum = 0f;
            for (int m0 = 0; m0 < end; m0 += BK) {
                int keys = Math.min(BK, end - m0);
                FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
                for (int e = 0; e < d; e++) {
                    FloatVector qe = FloatVector.broadcast(S, qs[e]);
                    int at = e * np + m0;
                    s0 = qe.fma(FloatVector.fromArray(S, kt, at), s0);
                    s1 = qe.fma(FloatVector.fromArray(S, kt, at + VL), s1);
                    s2 = qe.fma(FloatVector.fromArray(S, kt, at + 2 * VL), s2);
                    s3 = qe.fma(FloatVector.fromArray(S, kt, at + 3 * VL), s3);
                }
                if (keys < BK) {
                    // Keys past the row's end do not count: -inf.
                    FloatVector ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                    s0 = ninf.blend(s0, S.indexInRange(0, keys));
                    s1 = ninf.blend(s1, S.indexInRange(VL, keys));
                    s2 = ninf.blend(s2, S.indexInRange(2 * VL, keys));
                    s3 = ninf.blend(s3, S.indexInRange(3 * VL, keys));
                }
                float blockMax = s0.max(s1).max(s2.max(s3)).reduceLanes(VectorOperators.MAX);
                float newMax = Math.max(max, blockMax);
                float c = (float) Math.exp(max - newMax);
                FloatVector mv = FloatVector.broadcast(S, newMax);
                FloatVector w0 = s0.sub(mv).lanewise(VectorOperators.EXP), w1 = s1.sub(mv).lanewise(VectorOperators.EXP);
                FloatVector w2 = s2.sub(mv).lanewise(VectorOperators.EXP), w3 = s3.sub(mv).lanewise(VectorOperators.EXP);
                sum = sum * c + w0.add(w1).add(w2.add(w3)).reduceLanes(VectorOperators.ADD);
                max = newMax;
                w0.intoArray(s, 0);
                w1.intoArray(s, VL);
                w2.intoArray(s, 2 * VL);
                w3.intoArray(s, 3 * VL);
                // acc = acc * c + sum_j w_j V[m0 + j], along D.
                for (int f = 0; f < d; f += VL) {
                    VectorMask<Float> in = S.indexInRange(f, d);
                    FloatVector a = FloatVector.fromArray(S, acc, f, in).mul(c);
                    int row = base + m0 * d + f;
                    for (int j = 0; j < keys; j++, row += d)
                        a = FloatVector.broadcast(S, s[j]).fma(FloatVector.fromArray(S, v, row, in), a);
                    a.intoArray(acc, f, in);
                }
            }
            float inv = 1f / sum;
            for (int f = 0; f < d; f++) o[base + p * d + f] = acc[f] * inv;
        }
    }
}
