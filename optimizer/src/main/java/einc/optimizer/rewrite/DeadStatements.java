package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Removes statements (and their inits and declarations) whose intermediate no other statement reads, until none is left. */
public final class DeadStatements implements Rewrite {

    @Override
    public String name() {
        return "dead-statements";
    }

    @Override
    public String summary() {
        return "drop intermediates that nothing reads";
    }

    @Override
    public Result apply(Cascade c) {
        List<Einsum> statements = new ArrayList<>(c.statements());
        Set<String> removed = new LinkedHashSet<>();
        boolean again = true;
        while (again) {
            again = false;
            Set<String> read = new LinkedHashSet<>();
            for (Einsum s : statements)
                for (String t : Rewriting.reads(s))
                    if (!t.equals(s.tensor())) read.add(t);
            for (TensorDecl t : c.intermediates()) {
                if (removed.contains(t.name()) || read.contains(t.name())) continue;
                statements.removeIf(s -> s.tensor().equals(t.name()));
                removed.add(t.name());
                again = true;
            }
        }
        if (removed.isEmpty()) return Result.notApplicable(c, "every intermediate is read");
        List<TensorDecl> decls = c.intermediates().stream().filter(t -> !removed.contains(t.name())).toList();
        Map<String, Integer> counters = new LinkedHashMap<>();
        counters.put("removed", removed.size());
        return Result.changed(c.withStatements(decls, statements), counters, List.of("removed " + String.join(", ", removed) + ", which nothing reads"));
    }
}
