package einc.bench;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vector API anchor agrees with the naive one and with the float64 reference, on ragged shapes too. */
class HandVectorAttentionTest {

    @ParameterizedTest
    @ValueSource(strings = {"2x8x4", "2x8x4-causal", "3x17x8-causal", "1x70x20", "1x70x20-causal", "2x129x64-causal", "1x1x64", "1x300x64", "2x45x40-causal", "1x130x128-causal", "1x97x24"})
    void agreesWithTheReference(String shape) {
        Workload w = Workload.of(shape);
        float[][] qkv = w.inputs();
        float[] naive = new float[w.size()], got = new float[w.size()];
        Arrays.fill(got, Float.NaN);
        ForkJoinPool pool = new ForkJoinPool(2);
        try {
            HandAttention.run(qkv[0], qkv[1], qkv[2], naive, w.b() * w.h(), w.n(), w.d(), w.causal(), pool);
            HandVectorAttention.run(qkv[0], qkv[1], qkv[2], got, w.b() * w.h(), w.n(), w.d(), w.causal(), pool);
        } finally {
            pool.shutdown();
        }
        double num = 0, den = 0;
        for (int i = 0; i < got.length; i++) {
            assertTrue(Float.isFinite(got[i]), shape + ": element " + i + " not written or not finite: " + got[i]);
            num += (got[i] - naive[i]) * (double) (got[i] - naive[i]);
            den += naive[i] * (double) naive[i];
        }
        double err = Math.sqrt(num / den);
        assertTrue(err < 1e-5, shape + ": relative L2 error against the naive anchor " + err);
        double ref = w.error(got, qkv[0], qkv[1], qkv[2]);
        assertTrue(ref < 1e-5, shape + ": relative L2 error against the float64 reference " + ref);
    }
}
