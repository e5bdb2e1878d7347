package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Param;
import einc.ir.Rank;
import einc.ir.Split;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks that a cascade is valid IR, the level every rewrite consumes and produces: names resolve,
 * every tensor is assigned once before it is read, reductions match the iteration space, the
 * statements of a recurrence stand together, and every index (split parts included) has a definition.
 */
public final class Verifier {

    private Verifier() {}

    /** Every problem found, one concrete line each; empty when {@code c} is valid. */
    public static List<String> problems(Cascade c) {
        List<String> out = new ArrayList<>();
        Map<String, TensorDecl> tensors = new LinkedHashMap<>();
        for (TensorDecl t : c.tensors())
            if (tensors.put(t.name(), t) != null) out.add("tensor '" + t.name() + "' is declared twice");
        Set<String> params = new LinkedHashSet<>();
        for (Param p : c.params()) if (!params.add(p.name())) out.add("parameter '" + p.name() + "' is declared twice");
        Map<String, IndexDef> defs = new LinkedHashMap<>();
        for (IndexDef d : c.indices()) if (defs.put(d.name(), d) != null) out.add("index '" + d.name() + "' is defined twice");
        for (Split sp : c.splits()) {
            if (!defs.containsKey(sp.parent())) out.add("split of unknown index '" + sp.parent() + "'");
            if (!(defs.get(sp.outer()) instanceof IndexDef d && d.rule() instanceof IndexDef.SplitOuter(String parent, IndexExpr t) && parent.equals(sp.parent())))
                out.add("split part '" + sp.outer() + "' has no SplitOuter definition of '" + sp.parent() + "'");
            if (!(defs.get(sp.inner()) instanceof IndexDef d && d.rule() instanceof IndexDef.SplitInner(String parent, IndexExpr t) && parent.equals(sp.parent())))
                out.add("split part '" + sp.inner() + "' has no SplitInner definition of '" + sp.parent() + "'");
        }

        Set<String> assigned = new LinkedHashSet<>();
        Set<String> initialized = new LinkedHashSet<>();
        for (TensorDecl t : c.inputs()) assigned.add(t.name());
        for (int i = 0; i < c.statements().size(); i++) {
            Einsum s = c.statements().get(i);
            String at = "statement " + (i + 1) + " (" + s.tensor() + "): ";
            TensorDecl t = tensors.get(s.tensor());
            if (t == null) {
                out.add(at + "assigns undeclared tensor '" + s.tensor() + "'");
                continue;
            }
            if (t.role() == TensorDecl.Role.INPUT) out.add(at + "assigns input '" + t.name() + "'");
            if (s.target().indices().size() != t.arity())
                out.add(at + "target has " + s.target().indices().size() + " indices, '" + t.name() + "' has " + t.arity() + " ranks");
            else checkTarget(s, t, at, out);
            // reads
            List<Expr.Access> reads = Rewriting.accesses(s);
            for (Expr.Access a : reads) {
                TensorDecl r = tensors.get(a.tensor());
                if (r == null) {
                    out.add(at + "reads undeclared tensor '" + a.tensor() + "'");
                    continue;
                }
                if (a.indices().size() != r.arity())
                    out.add(at + "reads '" + a.tensor() + "' with " + a.indices().size() + " indices, it has " + r.arity());
                // inside a recurrence an earlier entry may be read before the statement that writes the next one
                boolean earlierEntry = r.isIterative() && initialized.contains(a.tensor());
                if (!assigned.contains(a.tensor()) && !earlierEntry)
                    out.add(at + "reads '" + a.tensor() + "' before it is assigned");
            }
            // names in the expressions
            Set<String> used = new LinkedHashSet<>(s.space());
            List<Expr> exprs = new ArrayList<>();
            exprs.add(s.body());
            if (s.where() != null) exprs.add(s.where());
            for (Expr e : exprs)
                Exprs.forEach(e, n -> {
                    switch (n) {
                        case Expr.ParamRef(String p) -> { if (!params.contains(p)) out.add(at + "unknown parameter '" + p + "'"); }
                        case Expr.ExtentRef(String x) -> used.add(x);
                        case Expr.Access a -> a.indices().forEach(ix -> extents(ix, used));
                        default -> {}
                    }
                });
            s.target().indices().forEach(ix -> extents(ix, used));
            for (String ix : used) if (!defs.containsKey(ix)) out.add(at + "index '" + ix + "' has no definition");
            // reduction
            List<String> space = c.iterationSpace(s);
            Set<String> lhs = new LinkedHashSet<>(s.targetIndices());
            Set<String> reduced = new LinkedHashSet<>(space);
            reduced.removeAll(lhs);
            Set<String> declared = new LinkedHashSet<>(s.reducedIndices());
            if (!reduced.equals(declared))
                out.add(at + "reduces " + declared + " but the indices not on the left are " + reduced);
            if (s.init()) {
                if (!t.isIterative()) out.add(at + "init of '" + t.name() + "', which has no iterative rank");
                if (!initialized.add(t.name())) out.add(at + "'" + t.name() + "' is initialized twice");
                if (assigned.contains(t.name())) out.add(at + "init of '" + t.name() + "' after its statement");
            } else {
                if (t.isIterative() && !initialized.contains(t.name())) out.add(at + "recurrence '" + t.name() + "' has no init before it");
                if (!assigned.add(t.name())) out.add(at + "'" + t.name() + "' is assigned twice");
            }
        }
        for (TensorDecl t : c.outputs()) if (!assigned.contains(t.name())) out.add("output '" + t.name() + "' is never assigned");
        for (TensorDecl t : c.intermediates()) if (!assigned.contains(t.name())) out.add("intermediate '" + t.name() + "' is never assigned");
        // recurrences stand together
        for (String r : c.iterativeIndices()) {
            int first = -1, last = -1, count = 0;
            for (int i = 0; i < c.statements().size(); i++) {
                Einsum s = c.statements().get(i);
                if (!s.init() && c.iterationSpace(s).contains(r)) {
                    if (first < 0) first = i;
                    last = i;
                    count++;
                }
            }
            if (count > 0 && last - first + 1 != count) out.add("the statements of the recurrence over '" + r + "' are not contiguous");
        }
        return out;
    }

    /** Throws an internal error listing every problem when {@code c} is not valid; {@code after} names the pass. */
    public static void check(Cascade c, String after) {
        List<String> p = problems(c);
        if (!p.isEmpty()) throw new IllegalStateException("invalid IR after " + after + ":\n  " + String.join("\n  ", p));
    }

    private static void checkTarget(Einsum s, TensorDecl t, String at, List<String> out) {
        for (int k = 0; k < t.arity(); k++) {
            Rank r = t.ranks().get(k);
            IndexExpr ix = s.target().indices().get(k);
            if (!r.iterative()) {
                if (ix.plainIndex() == null) out.add(at + "target position " + (k + 1) + " is not a plain index");
            } else if (s.init()) {
                if (!r.index().equals(ix.plainIndex())) out.add(at + "init must write '" + r.index() + "' at position " + (k + 1));
            } else if (!ix.equals(Rewriting.plus1(r.index()))) {
                out.add(at + "recurrence must write '" + r.index() + " + 1' at position " + (k + 1));
            }
        }
    }

    private static void extents(IndexExpr ix, Set<String> used) {
        switch (ix) {
            case IndexExpr.Idx(String n) -> used.add(n);
            case IndexExpr.Ext(String n) -> used.add(n);
            case IndexExpr.Lit l -> {}
            case IndexExpr.INeg(IndexExpr a) -> extents(a, used);
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> {
                extents(a, used);
                extents(b, used);
            }
        }
    }
}
