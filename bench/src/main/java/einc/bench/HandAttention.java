package einc.bench;

/**
 * The anchor: softmax attention written by hand in plain Java, the way one would without a
 * compiler (scores row, max, exp, sum, weighted sum; causal rows stop at the diagonal), over
 * {@code [B, H, N, D]} row-major arrays, one (batch, head) per task.
 */
public final class HandAttention {

    private HandAttention() {}

    public static void run(float[] q, float[] k, float[] v, float[] o, int bh, int n, int d, boolean causal,
                           java.util.concurrent.ForkJoinPool pool) {
        float scale = (float) (1 / Math.sqrt(d));
        pool.submit(() -> java.util.stream.IntStream.range(0, bh).parallel().forEach(h -> head(q, k, v, o, h * n * d, n, d, causal, scale))).join();
    }

    static void head(float[] q, float[] k, float[] v, float[] o, int base, int n, int d, boolean causal, float scale) {
        float[] s = new float[n];
        float[] acc = new float[d];
        for (int p = 0; p < n; p++) {
            int end = causal ? p + 1 : n;
            float max = Float.NEGATIVE_INFINITY;
            for (int m = 0; m < end; m++) {
                float dot = 0;
                for (int e = 0; e < d; e++) dot += q[base + p * d + e] * k[base + m * d + e];
                s[m] = dot * scale;
                max = Math.max(max, s[m]);
            }
            float sum = 0;
            java.util.Arrays.fill(acc, 0f);
            for (int m = 0; m < end; m++) {
                float w = (float) Math.exp(s[m] - max);
                sum += w;
                for (int f = 0; f < d; f++) acc[f] += w * v[base + m * d + f];
            }
            for (int f = 0; f < d; f++) o[base + p * d + f] = acc[f] / sum;
        }
    }
}
