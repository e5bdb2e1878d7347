package einc.codegen.jvm;

import einc.ir.Cascade;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Param;
import einc.ir.Rank;
import einc.ir.TensorDecl;
import einc.runtime.ElementType;
import einc.runtime.Signature;

import java.util.ArrayList;
import java.util.List;

/** The runtime {@link Signature} of a cascade: what its kernel takes, without any IR type. */
final class Signatures {

    private Signatures() {}

    static Signature of(Cascade c) {
        List<Signature.TensorSpec> in = new ArrayList<>(), out = new ArrayList<>();
        for (TensorDecl t : c.inputs()) in.add(spec(t));
        for (TensorDecl t : c.outputs()) out.add(spec(t));
        List<Signature.ParamSpec> params = new ArrayList<>();
        for (Param p : c.params()) params.add(new Signature.ParamSpec(p.name(), p.defaultValue() != null));
        List<Signature.IndexSpec> indices = new ArrayList<>();
        for (IndexDef d : c.indices()) {
            indices.add(switch (d.rule()) {
                case IndexDef.Bound(String rep) -> new Signature.IndexSpec(d.name(), Signature.IndexSpec.Kind.BOUND, rep, null);
                case IndexDef.SplitOuter(String parent, IndexExpr tile) -> new Signature.IndexSpec(d.name(), Signature.IndexSpec.Kind.OUTER, parent, postfix(tile));
                case IndexDef.SplitInner(String parent, IndexExpr tile) -> new Signature.IndexSpec(d.name(), Signature.IndexSpec.Kind.INNER, null, postfix(tile));
            });
        }
        return new Signature(c.name(), in, out, params, indices);
    }

    private static Signature.TensorSpec spec(TensorDecl t) {
        ElementType type = switch (t.type()) {
            case F32 -> ElementType.F32;
            case F64 -> ElementType.F64;
            case F16 -> ElementType.F16;
            case BF16 -> ElementType.BF16;
        };
        return new Signature.TensorSpec(t.name(), type, t.ranks().stream().map(Rank::index).toList(),
                t.ranks().stream().map(Rank::iterative).toList());
    }

    /** A constant index expression in the postfix form {@link Signature} evaluates. */
    static String postfix(IndexExpr e) {
        return switch (e) {
            case IndexExpr.Lit(long v) -> Long.toString(v);
            case IndexExpr.Ext(String ix) -> ix;
            case IndexExpr.Idx(String ix) -> ix;
            case IndexExpr.INeg(IndexExpr a) -> postfix(a) + " neg";
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> postfix(a) + " " + postfix(b) + " " + op.symbol;
        };
    }

}
