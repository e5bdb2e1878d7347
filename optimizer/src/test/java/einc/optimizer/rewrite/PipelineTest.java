package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.optimizer.Pipeline;
import einc.testing.FuseMax;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PipelineTest {

    private static final Pipeline.Options VERIFY = Pipeline.Options.defaults().withTile(4).withVerifyEach(true);

    private static Cascade optimize(Cascade c) {
        return Pipeline.run(c, VERIFY).optimized();
    }

    private static void sameNumbers(Cascade a, Cascade b) {
        for (long[] pm : new long[][] {{6, 8}, {7, 9}, {9, 5}, {1, 1}}) {
            Map<String, Long> shape = Map.of("p", pm[0], "m", pm[1], "e", 3L, "f", 2L);
            double err = Oracle.error(a, b, shape, Map.of(), pm[0] * 31 + pm[1]);
            assertTrue(err < 1e-9, a.name() + " P=" + pm[0] + " M=" + pm[1] + ": " + err);
        }
    }

    @Test
    void cascade4TakesOnePassOverM() {
        Cascade c4 = FuseMax.cascade4();
        assertEquals(3, Passes.over(c4, "m"));
        Cascade o = optimize(c4);
        assertEquals(1, Passes.over(o, "m"));
        sameNumbers(c4, o);
    }

    @Test
    void causalAndSlidingWindowSoftmaxTakeOnePass() {
        for (Cascade c : List.of(Examples.causal(), Examples.slidingWindow())) {
            Cascade o = optimize(c);
            assertEquals(1, Passes.over(o, "m"), c.name());
            sameNumbers(c, o);
        }
    }

    @Test
    void softplusAttentionWithL1NormalizationTakesOnePass() {
        Cascade c = Examples.softplusL1();
        assertEquals(2, Passes.over(c, "m"));
        Cascade o = optimize(c);
        assertEquals(1, Passes.over(o, "m"));
        sameNumbers(c, o);
    }

    @Test
    void nonCausalLinearAttentionHasNoStatementOverBothPAndM() {
        Cascade c = Examples.linear(null);
        assertTrue(Passes.someStatementIterates(c, "p", "m"));
        Cascade o = optimize(c);
        assertFalse(Passes.someStatementIterates(o, "p", "m"));
        sameNumbers(c, o);
    }

    @Test
    void printsTheIrAfterEachPassAndSaysWhenUnchanged() {
        List<String> log = new ArrayList<>();
        Pipeline.run(FuseMax.cascade4(), Pipeline.Options.defaults().withPrintIrAfter("all", c -> "<" + c.statements().size() + " statements>")
                .withTimePasses(true), log::add);
        assertTrue(log.contains("// IR after defer-normalization"), log.toString());
        assertTrue(log.contains("// IR after reassociate (unchanged)"), log.toString());
        assertTrue(log.contains("// pass timings"), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.startsWith("//   online-softmax")), log.toString());
    }

    @Test
    void aDisabledPassDoesNotRun() {
        Pipeline.Outcome o = Pipeline.run(FuseMax.cascade4(), VERIFY.without("online-softmax"));
        assertEquals(2, Passes.over(o.optimized(), "m"));
        assertTrue(o.steps().stream().noneMatch(s -> s.pass().equals("online-softmax")));
    }
}
