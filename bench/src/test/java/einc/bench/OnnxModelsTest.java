package einc.bench;

import ai.onnxruntime.OrtEnvironment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.concurrent.ForkJoinPool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The hand-written ONNX models load in ONNX Runtime and compute attention: they agree with the hand-written Java attention. */
class OnnxModelsTest {

    static String unavailable;

    @BeforeAll
    static void loadOrt() {
        try {
            OrtEnvironment.getEnvironment();
        } catch (Throwable e) {
            unavailable = "onnx runtime's native library does not load here (" + e + "); skipping";
        }
    }

    @ParameterizedTest
    @CsvSource({"mha, 2x8x4", "mha, 2x8x4-causal", "attention, 2x8x4", "attention, 2x8x4-causal", "mha, 3x17x8-causal", "attention, 3x17x8"})
    void agreesWithHandWrittenAttention(String op, String shape) throws Exception {
        assumeTrue(unavailable == null, unavailable);
        Workload w = Workload.of(shape);
        float[][] qkv = w.inputs();
        float[] want = new float[w.size()];
        ForkJoinPool pool = new ForkJoinPool(1);
        try {
            HandAttention.run(qkv[0], qkv[1], qkv[2], want, w.b() * w.h(), w.n(), w.d(), w.causal(), pool);
        } finally {
            pool.shutdown();
        }
        OrtBench.Session s = OrtBench.Session.open(w, op, 1, qkv);
        try {
            float[] got = s.run();
            assertEquals(want.length, got.length);
            double num = 0, den = 0;
            for (int i = 0; i < want.length; i++) {
                num += (got[i] - want[i]) * (double) (got[i] - want[i]);
                den += want[i] * (double) want[i];
            }
            double err = Math.sqrt(num / den);
            assertTrue(err < 1e-4, op + " " + shape + ": relative L2 error " + err);
            assertTrue(w.error(got, qkv[0], qkv[1], qkv[2]) < 1e-4, "the sampled float64 reference agrees too");
        } finally {
            s.session().close();
        }
    }
}
