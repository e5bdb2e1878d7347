package einc.codegen.llvm;

import einc.ir.Cascade;
import einc.ir.TensorDecl;
import einc.optimizer.Schedule;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generic kernel follows the optimizer's {@link Schedule}: one outer loop per nest, nest-local intermediates hold one outer point. */
class ScheduledKernelTest {

    private static Cascade example(String path) {
        return Examples.compile(Examples.root().resolve(path)).getFirst();
    }

    /** Whether intermediate {@code t} keeps rank {@code index} in its storage. */
    private static boolean keeps(NativePlan plan, String t, String index) {
        TensorDecl d = plan.cascade.tensorOrThrow(t);
        for (int k = 0; k < d.arity(); k++)
            if (d.ranks().get(k).index().equals(index)) return !plan.skipped(d, k);
        throw new AssertionError(t + " has no rank " + index);
    }

    @Test
    void cosineScoresAreRowsNotWholeMatrices() {
        Cascade c = example("attention/cosine.ein");
        NativePlan plan = new NativePlan(c);
        assertTrue(plan.schedule.nests().size() > 1, "KN[m] has no p: the cascade is more than one nest");
        assertEquals(List.of("b", "h"), plan.pointRanks);
        for (String t : List.of("QK", "CS", "SN", "A")) {
            assertTrue(plan.schedule.local().containsKey(t), t + " is local to its nest");
            assertFalse(keeps(plan, t, "p"), t + " holds one row of m, not P·M");
            assertTrue(keeps(plan, t, "m"), t + " keeps its row over m");
        }
        assertTrue(keeps(plan, "KN", "m"), "KN crosses nests and lives whole");
    }

    @Test
    void moduleHasOneOuterLoopPerNest() {
        Cascade c = example("attention/cosine.ein");
        Schedule s = new NativePlan(c).schedule;
        String ir = ModuleEmitter.emit(c, ModuleEmitter.symbol(c), null, null, null, null);
        int loops = 0;
        for (Schedule.Nest n : s.nests()) {
            assertTrue(ir.contains("nest " + n.id() + " over " + n.outer()), "the IR names nest " + n.id());
            for (String o : n.outer()) {
                Matcher m = Pattern.compile("nest" + n.id() + "\\." + o + "[.\\w]*:").matcher(ir);
                assertTrue(m.find(), "nest " + n.id() + " loops over " + o);
                loops++;
            }
        }
        assertTrue(loops >= 2, "at least two nests loop over an outer rank");
    }

    @Test
    void oneNestCascadeSplitsItsOuterRankAmongThreads() {
        NativePlan plan = new NativePlan(example("attention/differential.ein"));
        assertEquals(1, plan.schedule.nests().size());
        assertEquals(List.of("b", "h", "p"), plan.pointRanks);
        assertTrue(plan.folded(plan.schedule.nests().getFirst()));
    }
}
