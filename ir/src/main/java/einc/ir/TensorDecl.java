package einc.ir;

import java.util.List;

/**
 * A tensor of a cascade: an input, an output or an intermediate (declared by its first
 * assignment). After the frontend, batch ranks are explicit in {@code ranks}.
 */
public record TensorDecl(String name, List<Rank> ranks, DType type, Role role, Span span) {

    public enum Role { INPUT, OUTPUT, INTERMEDIATE }

    public TensorDecl {
        ranks = List.copyOf(ranks);
    }

    public int arity() {
        return ranks.size();
    }

    public List<String> indexNames() {
        return ranks.stream().map(Rank::index).toList();
    }

    public boolean isIterative() {
        return ranks.stream().anyMatch(Rank::iterative);
    }
}
