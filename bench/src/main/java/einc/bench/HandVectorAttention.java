package einc.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * The second anchor: softmax attention written by hand with the Vector API and an online softmax,
 * the way a Java programmer who knows both would write it without a compiler. Per head, K is
 * transposed into tiles of {@link #BK} keys and V's rows padded to whole vectors; then tiles of
 * {@link #BQ} query rows sweep the key tiles (stopping at the diagonal when causal), each key tile
 * used by all the query tile's blocks of {@link #ROWS} rows while it is in cache: per block the
 * scores in 16 vector registers, the running max and sum rescaled once per tile, exp with the
 * Vector API's {@code EXP}, and the weighted sum of V in 8 vector registers.
 * {@code [B, H, N, D]} row-major arrays, one (batch, head) per fork-join task.
 */
public final class HandVectorAttention {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /** Keys per tile: four vectors. */
    private static final int BK = 4 * VL;
    /** Query rows per register block. */
    private static final int ROWS = 4;
    /** Query rows per tile: they share each key tile while it is in cache. */
    private static final int BQ = 32;

    private HandVectorAttention() {}

    public static void run(float[] q, float[] k, float[] v, float[] o, int bh, int n, int d, boolean causal, ForkJoinPool pool) {
        float scale = (float) (1 / Math.sqrt(d));
        pool.submit(() -> IntStream.range(0, bh).parallel().forEach(h -> head(q, k, v, o, h * n * d, n, d, causal, scale))).join();
    }

    static void head(float[] q, float[] k, float[] v, float[] o, int base, int n, int d, boolean causal, float scale) {
        int tiles = (n + BK - 1) / BK;
        // dp: D rounded up to two vectors, the width of the weighted sum's register block.
        int dp = (d + 2 * VL - 1) / (2 * VL) * (2 * VL);
        // kt[(t * d + e) * BK + j] = K[t * BK + j][e], zero past the last key.
        float[] kt = new float[tiles * d * BK];
        for (int m = 0; m < n; m++)
            for (int e = 0; e < d; e++) kt[((m / BK) * d + e) * BK + m % BK] = k[base + m * d + e];
        // vp[m * dp + f] = V[m][f], zero past d and past the last key.
        float[] vp = new float[tiles * BK * dp];
        for (int m = 0; m < n; m++) System.arraycopy(v, base + m * d, vp, m * dp, d);
        float[] qs = new float[BQ * d];
        float[] w = new float[ROWS * BK];
        float[] acc = new float[BQ * dp];
        float[] max = new float[BQ], sum = new float[BQ], corr = new float[ROWS];
        for (int p0 = 0; p0 < n; p0 += BQ) {
            int rows = Math.min(BQ, n - p0);
            Arrays.fill(qs, 0f);
            for (int r = 0; r < rows; r++)
                for (int e = 0; e < d; e++) qs[r * d + e] = q[base + (p0 + r) * d + e] * scale;
            Arrays.fill(acc, 0f);
            Arrays.fill(max, Float.NEGATIVE_INFINITY);
            Arrays.fill(sum, 0f);
            int end = causal ? p0 + rows : n;
            for (int m0 = 0; m0 < end; m0 += BK) {
                int tile = m0 / BK;
                for (int r0 = 0; r0 < rows; r0 += ROWS) {
                    if (causal && p0 + r0 + ROWS - 1 < m0) continue;
                    scores(kt, tile * d * BK, qs, r0 * d, d, w);
                    for (int r = 0; r < ROWS; r++) {
                        int p = p0 + r0 + r;
                        int keys = Math.min(BK, (causal ? Math.min(p + 1, n) : n) - m0);
                        corr[r] = softmaxStep(w, r * BK, keys, max, sum, r0 + r);
                    }
                    accumulate(acc, r0 * dp, dp, w, corr, vp, m0 * dp, Math.min(BK, n - m0));
                }
            }
            for (int r = 0; r < rows; r++) {
                float inv = 1f / sum[r];
                for (int f = 0; f < d; f++) o[base + (p0 + r) * d + f] = acc[r * dp + f] * inv;
            }
        }
    }

    /** The scores of ROWS query rows (from {@code qAt}) against one key tile (from {@code kAt}) into {@code w}. */
    private static void scores(float[] kt, int kAt, float[] qs, int qAt, int d, float[] w) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int e = 0; e < d; e++) {
            int at = kAt + e * BK;
            FloatVector k0 = FloatVector.fromArray(S, kt, at), k1 = FloatVector.fromArray(S, kt, at + VL);
            FloatVector k2 = FloatVector.fromArray(S, kt, at + 2 * VL), k3 = FloatVector.fromArray(S, kt, at + 3 * VL);
            FloatVector q0 = FloatVector.broadcast(S, qs[qAt + e]);
            s00 = q0.fma(k0, s00);
            s01 = q0.fma(k1, s01);
            s02 = q0.fma(k2, s02);
            s03 = q0.fma(k3, s03);
            FloatVector q1 = FloatVector.broadcast(S, qs[qAt + d + e]);
            s10 = q1.fma(k0, s10);
            s11 = q1.fma(k1, s11);
            s12 = q1.fma(k2, s12);
            s13 = q1.fma(k3, s13);
            FloatVector q2 = FloatVector.broadcast(S, qs[qAt + 2 * d + e]);
            s20 = q2.fma(k0, s20);
            s21 = q2.fma(k1, s21);
            s22 = q2.fma(k2, s22);
            s23 = q2.fma(k3, s23);
            FloatVector q3 = FloatVector.broadcast(S, qs[qAt + 3 * d + e]);
            s30 = q3.fma(k0, s30);
            s31 = q3.fma(k1, s31);
            s32 = q3.fma(k2, s32);
            s33 = q3.fma(k3, s33);
        }
        s00.intoArray(w, 0);
        s01.intoArray(w, VL);
        s02.intoArray(w, 2 * VL);
        s03.intoArray(w, 3 * VL);
        s10.intoArray(w, BK);
        s11.intoArray(w, BK + VL);
        s12.intoArray(w, BK + 2 * VL);
        s13.intoArray(w, BK + 3 * VL);
        s20.intoArray(w, 2 * BK);
        s21.intoArray(w, 2 * BK + VL);
        s22.intoArray(w, 2 * BK + 2 * VL);
        s23.intoArray(w, 2 * BK + 3 * VL);
        s30.intoArray(w, 3 * BK);
        s31.intoArray(w, 3 * BK + VL);
        s32.intoArray(w, 3 * BK + 2 * VL);
        s33.intoArray(w, 3 * BK + 3 * VL);
    }

    /**
     * One row's online-softmax step on a tile: the first {@code keys} scores at {@code at} become
     * exp(score - new max), the others 0; updates the row's max and sum and returns the factor for
     * its earlier accumulation.
     */
    private static float softmaxStep(float[] w, int at, int keys, float[] max, float[] sum, int r) {
        if (keys <= 0) {
            Arrays.fill(w, at, at + BK, 0f);
            return 1f;
        }
        FloatVector ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector s0 = ninf.blend(FloatVector.fromArray(S, w, at), S.indexInRange(0, keys));
        FloatVector s1 = ninf.blend(FloatVector.fromArray(S, w, at + VL), S.indexInRange(VL, keys));
        FloatVector s2 = ninf.blend(FloatVector.fromArray(S, w, at + 2 * VL), S.indexInRange(2 * VL, keys));
        FloatVector s3 = ninf.blend(FloatVector.fromArray(S, w, at + 3 * VL), S.indexInRange(3 * VL, keys));
        float newMax = Math.max(max[r], s0.max(s1).max(s2.max(s3)).reduceLanes(VectorOperators.MAX));
        float c = (float) Math.exp(max[r] - newMax);
        FloatVector mv = FloatVector.broadcast(S, newMax);
        FloatVector w0 = s0.sub(mv).lanewise(VectorOperators.EXP), w1 = s1.sub(mv).lanewise(VectorOperators.EXP);
        FloatVector w2 = s2.sub(mv).lanewise(VectorOperators.EXP), w3 = s3.sub(mv).lanewise(VectorOperators.EXP);
        w0.intoArray(w, at);
        w1.intoArray(w, at + VL);
        w2.intoArray(w, at + 2 * VL);
        w3.intoArray(w, at + 3 * VL);
        sum[r] = sum[r] * c + w0.add(w1).add(w2.add(w3)).reduceLanes(VectorOperators.ADD);
        max[r] = newMax;
        return c;
    }

    /** {@code acc[r][f] = acc[r][f] * corr[r] + sum_j w[r][j] * V[m0 + j][f]} for ROWS rows, two vectors of f at a time. */
    private static void accumulate(float[] acc, int accAt, int dp, float[] w, float[] corr, float[] vp, int vAt, int keys) {
        FloatVector c0 = FloatVector.broadcast(S, corr[0]), c1 = FloatVector.broadcast(S, corr[1]);
        FloatVector c2 = FloatVector.broadcast(S, corr[2]), c3 = FloatVector.broadcast(S, corr[3]);
        for (int f = 0; f < dp; f += 2 * VL) {
            int a0 = accAt + f, a1 = a0 + dp, a2 = a1 + dp, a3 = a2 + dp;
            FloatVector x00 = FloatVector.fromArray(S, acc, a0).mul(c0), x01 = FloatVector.fromArray(S, acc, a0 + VL).mul(c0);
            FloatVector x10 = FloatVector.fromArray(S, acc, a1).mul(c1), x11 = FloatVector.fromArray(S, acc, a1 + VL).mul(c1);
            FloatVector x20 = FloatVector.fromArray(S, acc, a2).mul(c2), x21 = FloatVector.fromArray(S, acc, a2 + VL).mul(c2);
            FloatVector x30 = FloatVector.fromArray(S, acc, a3).mul(c3), x31 = FloatVector.fromArray(S, acc, a3 + VL).mul(c3);
            for (int j = 0; j < keys; j++) {
                int at = vAt + j * dp + f;
                FloatVector v0 = FloatVector.fromArray(S, vp, at), v1 = FloatVector.fromArray(S, vp, at + VL);
                FloatVector w0 = FloatVector.broadcast(S, w[j]);
                x00 = w0.fma(v0, x00);
                x01 = w0.fma(v1, x01);
                FloatVector w1 = FloatVector.broadcast(S, w[BK + j]);
                x10 = w1.fma(v0, x10);
                x11 = w1.fma(v1, x11);
                FloatVector w2 = FloatVector.broadcast(S, w[2 * BK + j]);
                x20 = w2.fma(v0, x20);
                x21 = w2.fma(v1, x21);
                FloatVector w3 = FloatVector.broadcast(S, w[3 * BK + j]);
                x30 = w3.fma(v0, x30);
                x31 = w3.fma(v1, x31);
            }
            x00.intoArray(acc, a0);
            x01.intoArray(acc, a0 + VL);
            x10.intoArray(acc, a1);
            x11.intoArray(acc, a1 + VL);
            x20.intoArray(acc, a2);
            x21.intoArray(acc, a2 + VL);
            x30.intoArray(acc, a3);
            x31.intoArray(acc, a3 + VL);
        }
    }
}
