package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.Expr;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An estimate of DRAM traffic under the fused plan of {@link FusionGroups}: every group reads each
 * tensor it needs from outside itself (an input, or an intermediate of an earlier group) once, and
 * writes once each value it produces that is an output or that a later group reads. Batch ranks are
 * counted. It is the traffic of a plan with on-chip buffers large enough for one group's operands:
 * re-reads of K and V per query tile, which real kernels pay, are left out.
 */
public final class Traffic {

    private Traffic() {}

    public enum Direction { READ, WRITE }

    /** One transfer: group {@code group} reads or writes {@code elements} elements of {@code tensor}. */
    public record Transfer(int group, String tensor, Direction direction, Poly elements, int bytesPerElement) {
        public Poly bytes() {
            return elements.times(bytesPerElement);
        }
    }

    public record Result(List<Transfer> transfers) {

        public Poly bytes(Direction d) {
            Poly sum = Poly.ZERO;
            for (Transfer t : transfers) if (t.direction() == d) sum = sum.plus(t.bytes());
            return sum;
        }

        public Poly totalBytes() {
            return bytes(Direction.READ).plus(bytes(Direction.WRITE));
        }
    }

    public static Result run(Cascade c, FusionGroups.Result groups) {
        Dataflow df = new Dataflow(c);
        List<Transfer> out = new ArrayList<>();
        for (FusionGroups.Group g : groups.groups()) {
            Set<String> read = new LinkedHashSet<>();
            for (int s : g.statements()) {
                for (Expr.Access a : df.reads(s)) {
                    int d = df.definition(a.tensor());
                    boolean inside = d >= 0 && g.statements().contains(d);
                    if (!inside && read.add(a.tensor())) {
                        TensorDecl t = df.tensor(a.tensor());
                        List<Integer> readersHere = g.statements().stream()
                                .filter(r -> df.reads(r).stream().anyMatch(x -> x.tensor().equals(a.tensor()))).toList();
                        Poly n = df.elements(t, true, Set.of(), df.fixedForAll(t.name(), readersHere));
                        out.add(new Transfer(g.id(), t.name(), Direction.READ, n, t.type().bytes()));
                    }
                }
            }
            for (int s : g.statements()) {
                if (df.statements.get(s).init()) continue;
                TensorDecl t = df.tensor(df.statements.get(s).tensor());
                if (t == null) continue;
                List<Integer> outside = df.readers(t.name()).stream().filter(r -> !g.statements().contains(r)).toList();
                if (t.role() == TensorDecl.Role.OUTPUT || !outside.isEmpty()) {
                    Set<String> one = t.role() == TensorDecl.Role.OUTPUT ? Set.of() : df.fixedForAll(t.name(), outside);
                    out.add(new Transfer(g.id(), t.name(), Direction.WRITE, df.elements(t, true, Set.of(), one), t.type().bytes()));
                }
            }
        }
        return new Result(List.copyOf(out));
    }
}
