package einc.optimizer.rewrite;

import einc.ir.Cascade;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One rewrite of a cascade: checks its own precondition on the IR and returns an equivalent
 * cascade (the same instance when it did not apply, with the reason why).
 */
public interface Rewrite {

    /** The command-line name ({@code defer-normalization}), also the folder of its golden tests. */
    String name();

    /** One line saying what the rewrite does. */
    String summary();

    /** Rewrites {@code c}; never throws on valid IR. */
    Result apply(Cascade c);

    /**
     * What a rewrite did: the new cascade ({@code ==} the input when unchanged), counters of what
     * it did, one line per change, and the reason when it did not apply.
     */
    record Result(Cascade cascade, Map<String, Integer> counters, List<String> changes, String reason) {

        public Result {
            counters = new LinkedHashMap<>(counters);
            changes = List.copyOf(changes);
        }

        /** The input, unchanged, with why not. */
        public static Result notApplicable(Cascade c, String reason) {
            return new Result(c, Map.of(), List.of(), "not applicable: " + reason);
        }

        public static Result changed(Cascade c, Map<String, Integer> counters, List<String> changes) {
            return new Result(c, counters, changes, null);
        }

        public boolean applied() {
            return reason == null;
        }
    }
}
