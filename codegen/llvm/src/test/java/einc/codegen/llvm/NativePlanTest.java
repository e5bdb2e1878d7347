package einc.codegen.llvm;

import einc.ir.Cascade;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the plan decides for the example cascades: independent points and total tensors. */
class NativePlanTest {

    private static Cascade example(String path) {
        return Examples.compile(Examples.root().resolve(path)).getFirst();
    }

    @Test
    void softmaxRunsPerBatchPointAndQuery() {
        NativePlan plan = new NativePlan(example("attention/softmax.ein"));
        assertEquals(List.of("b", "h", "p"), plan.pointRanks);
        assertEquals(Set.of("QK", "GM", "SN", "SD", "A", "AV"), plan.total);
    }

    @Test
    void causalMaskMakesScoresPartial() {
        NativePlan plan = new NativePlan(example("attention/causal.ein"));
        assertEquals(List.of("b", "h", "p"), plan.pointRanks);
        assertTrue(!plan.total.contains("QK") && plan.tracksPresence(example("attention/causal.ein").tensorOrThrow("QK")));
    }

    @Test
    void raggedTilesOfCascade5AreNotTotal() {
        Cascade c = example("fusemax/cascade5.ein");
        NativePlan plan = new NativePlan(c);
        assertEquals(List.of("b", "h", "p"), plan.pointRanks);
        assertTrue(!plan.total.contains("BQK"), "BQK reads K past the end of m in a ragged tile");
    }
}
