package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Split;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Passes over a rank as DESIGN.md defines them, for the tests (the analysis itself lives in einc.optimizer). */
final class Passes {

    private Passes() {}

    static int over(Cascade c, String rank) {
        Set<String> parts = new LinkedHashSet<>(List.of(rank));
        for (boolean grew = true; grew; ) {
            grew = false;
            for (Split s : c.splits()) if (parts.contains(s.parent())) grew |= parts.add(s.outer()) | parts.add(s.inner());
        }
        Map<String, Integer> depth = new HashMap<>();
        int passes = 0;
        for (Einsum s : c.statements()) {
            if (s.init()) continue;
            int before = 0;
            for (String t : Rewriting.reads(s)) if (!t.equals(s.tensor())) before = Math.max(before, depth.getOrDefault(t, 0));
            List<String> space = c.iterationSpace(s);
            boolean iterates = space.stream().anyMatch(parts::contains);
            boolean complete = iterates && s.targetIndices().stream().noneMatch(parts::contains);
            if (iterates) passes = Math.max(passes, before + 1);
            depth.merge(s.tensor(), before + (complete ? 1 : 0), Math::max);
        }
        return passes;
    }

    /** Whether some statement iterates both indices. */
    static boolean someStatementIterates(Cascade c, String a, String b) {
        return c.statements().stream().anyMatch(s -> c.iterationSpace(s).contains(a) && c.iterationSpace(s).contains(b));
    }
}
