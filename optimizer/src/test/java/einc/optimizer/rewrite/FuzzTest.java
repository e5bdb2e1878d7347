package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.Printer;
import einc.optimizer.Pipeline;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every rewrite on seeded random cascades and shapes (ragged ones included): the IR stays valid
 * and the reference interpreter gives the same outputs (relative L2 error under 1e-9) after each pass.
 */
class FuzzTest {

    @Test
    void everyPassKeepsTheNumbersOnRandomCascades() {
        Random r = new Random(20240611);
        Map<String, Integer> fired = new LinkedHashMap<>();
        for (int i = 0; i < 80; i++) {
            Cascade original = RandomCascades.next(r);
            long tile = 1 + r.nextInt(5);
            Map<String, Long> shape = Map.of("p", 1L + r.nextInt(9), "m", 1L + r.nextInt(12), "e", 1L + r.nextInt(4), "f", 1L + r.nextInt(3));
            Cascade cur = original;
            for (Rewrite pass : Pipeline.passes(Pipeline.Options.defaults().withTile(tile))) {
                Rewrite.Result res = pass.apply(cur);
                String where = "case " + i + " after " + pass.name() + " (tile " + tile + ", " + shape + ")\n" + Printer.print(res.cascade());
                assertTrue(Verifier.problems(res.cascade()).isEmpty(), where + "\n" + Verifier.problems(res.cascade()));
                if (res.cascade() != cur) {
                    fired.merge(pass.name(), 1, Integer::sum);
                    double err = Oracle.error(original, res.cascade(), shape, Map.of(), i);
                    assertTrue(err < 1e-9, where + "\nrelative error " + err);
                } else {
                    assertNotNull(res.reason() == null ? "applied" : res.reason());
                }
                cur = res.cascade();
            }
        }
        for (String pass : new String[] {"defer-normalization", "online-softmax", "reassociate", "prefix-to-recurrence", "dead-statements"})
            assertTrue(fired.getOrDefault(pass, 0) >= 3, pass + " fired only " + fired.getOrDefault(pass, 0) + " times: " + fired);
    }
}
