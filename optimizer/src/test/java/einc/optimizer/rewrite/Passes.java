package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.optimizer.CountPasses;

/** Pass counts through the optimizer's analysis, for the tests. */
final class Passes {

    private Passes() {}

    /** The passes {@code c} takes over {@code rank} (split parts counted under their parent), 0 when it never iterates it. */
    static int over(Cascade c, String rank) {
        return CountPasses.run(c).passes().getOrDefault(rank, 0);
    }

    /** Whether some statement iterates both indices. */
    static boolean someStatementIterates(Cascade c, String a, String b) {
        return c.statements().stream().anyMatch(s -> c.iterationSpace(s).contains(a) && c.iterationSpace(s).contains(b));
    }
}
