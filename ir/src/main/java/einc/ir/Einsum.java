package einc.ir;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One statement {@code target = body (:: reduction)? (where where)?}. {@code reduction} is null
 * when no index is reduced, {@code where} is null when the space is not filtered. An {@code init}
 * statement fixes the target's iterative ranks to 0; its target still names them with their index.
 */
public record Einsum(Expr.Access target, Expr body, Reduction reduction, Expr where, boolean init, Span span) {

    /** The name of the assigned tensor. */
    public String tensor() {
        return target.tensor();
    }

    /**
     * Every index of the iteration space, in order of first appearance: left-hand side first,
     * then body, then condition. For an init this still lists the target's iterative indices;
     * {@link Cascade#iterationSpace(Einsum)} leaves them out.
     */
    public List<String> space() {
        Set<String> out = new LinkedHashSet<>();
        for (IndexExpr ix : target.indices()) Exprs.collectIndices(ix, out);
        Exprs.collectIndices(body, out);
        if (where != null) Exprs.collectIndices(where, out);
        return new ArrayList<>(out);
    }

    /** The indices of the left-hand side. */
    public List<String> targetIndices() {
        Set<String> out = new LinkedHashSet<>();
        for (IndexExpr ix : target.indices()) Exprs.collectIndices(ix, out);
        return new ArrayList<>(out);
    }

    public ReduceOp reduceOp() {
        return reduction == null ? null : reduction.op();
    }

    public List<String> reducedIndices() {
        return reduction == null ? List.of() : reduction.indices();
    }
}
