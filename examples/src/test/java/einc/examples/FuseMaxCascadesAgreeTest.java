package einc.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.ir.Dense;
import einc.testing.Errors;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * FuseMax's Cascade 4 (3 passes) and Cascade 5 (1 pass, tiles of 64 keys) are the same function:
 * on the reference interpreter they agree to rounding, also when the last tile is ragged.
 */
class FuseMaxCascadesAgreeTest {

    @ParameterizedTest(name = "B={0} H={1} P={2} M={3} E={4} F={5}")
    @CsvSource({"1,1,5,64,4,3", "1,2,7,100,8,5", "2,1,33,130,3,7", "1,1,1,1,2,2", "1,1,17,65,5,4"})
    void threePassEqualsOnePass(int b, int h, int p, int m, int e, int f) {
        Random rnd = new Random(31L * p + m);
        Map<String, Dense> in = Map.of(
                "Q", Tensors.dense(Tensors.normal(rnd, b, h, p, e)),
                "K", Tensors.dense(Tensors.normal(rnd, b, h, m, e)),
                "V", Tensors.dense(Tensors.normal(rnd, b, h, m, f)));
        // Cascade 5 as LANGUAGE.md writes it has no scale: run Cascade 4 with scale 1.
        Dense three = Ein.run("attention/softmax.ein", in, Map.of("scale", 1.0)).get("AV");
        Dense one = Ein.run("attention/softmax_1pass.ein", in, Map.of()).get("AV");
        double rel = Errors.relativeL2(one.data(), three.data());
        assertTrue(rel < 1e-12, "relative L2 error " + rel);
    }
}
