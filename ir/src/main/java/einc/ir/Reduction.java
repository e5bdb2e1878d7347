package einc.ir;

import java.util.List;

/**
 * The reduction of an einsum: its operator and the reduced indices (those of the iteration
 * space that are not on the left), in order of first appearance in the statement.
 */
public record Reduction(ReduceOp op, List<String> indices) {

    public Reduction {
        indices = List.copyOf(indices);
    }
}
