package einc.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A checked cascade of einsums: the IR every stage after the frontend consumes. Immutable;
 * rewrites return new cascades. Batch ranks are explicit in every tensor and access;
 * {@code batchRanks} is kept so the printer can write the {@code batch} line back.
 */
public record Cascade(
        String name,
        List<String> batchRanks,
        List<TensorDecl> inputs,
        List<TensorDecl> outputs,
        List<TensorDecl> intermediates,
        List<Param> params,
        List<Split> splits,
        List<IndexDef> indices,
        List<Einsum> statements,
        Span span) {

    public Cascade {
        batchRanks = List.copyOf(batchRanks);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        intermediates = List.copyOf(intermediates);
        params = List.copyOf(params);
        splits = List.copyOf(splits);
        indices = List.copyOf(indices);
        statements = List.copyOf(statements);
    }

    /** Inputs, outputs and intermediates, in that order. */
    public List<TensorDecl> tensors() {
        List<TensorDecl> all = new ArrayList<>(inputs);
        all.addAll(outputs);
        all.addAll(intermediates);
        return all;
    }

    public Optional<TensorDecl> tensor(String name) {
        return tensors().stream().filter(t -> t.name().equals(name)).findFirst();
    }

    public TensorDecl tensorOrThrow(String name) {
        return tensor(name).orElseThrow(() -> new IllegalArgumentException("no tensor " + name + " in " + this.name));
    }

    public Optional<IndexDef> index(String name) {
        return indices.stream().filter(i -> i.name().equals(name)).findFirst();
    }

    public Optional<Param> param(String name) {
        return params.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** The statement that assigns {@code tensor} (not its init), if any. */
    public Optional<Einsum> definition(String tensor) {
        return statements.stream().filter(s -> !s.init() && s.tensor().equals(tensor)).findFirst();
    }

    /**
     * The iteration space of {@code s}: {@link Einsum#space()}, less the iterative ranks an
     * {@code init} fixes to 0.
     */
    public List<String> iterationSpace(Einsum s) {
        List<String> space = s.space();
        if (!s.init()) return space;
        TensorDecl t = tensorOrThrow(s.tensor());
        List<String> fixed = new ArrayList<>();
        for (int i = 0; i < t.arity() && i < s.target().indices().size(); i++) {
            if (t.ranks().get(i).iterative()) {
                String ix = s.target().indices().get(i).plainIndex();
                if (ix != null) fixed.add(ix);
            }
        }
        space.removeAll(fixed);
        return space;
    }

    /** The indices that are iterative ranks of some tensor (LANGUAGE.md §7), in declaration order. */
    public List<String> iterativeIndices() {
        List<String> out = new ArrayList<>();
        for (TensorDecl t : tensors())
            for (Rank r : t.ranks())
                if (r.iterative() && !out.contains(r.index())) out.add(r.index());
        return out;
    }

    /** A copy with other statements (and intermediates), for rewrites. */
    public Cascade withStatements(List<TensorDecl> newIntermediates, List<Einsum> newStatements) {
        return new Cascade(name, batchRanks, inputs, outputs, newIntermediates, params, splits, indices, newStatements, span);
    }
}
