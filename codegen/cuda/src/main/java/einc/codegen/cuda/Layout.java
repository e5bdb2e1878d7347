package einc.codegen.cuda;

import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.DType;
import einc.ir.Diagnostic;
import einc.ir.EincException;
import einc.ir.Extents;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Rank;
import einc.ir.TensorDecl;
import einc.runtime.cuda.CudaPlan;
import einc.runtime.cuda.CudaPlan.Buffer;
import einc.runtime.cuda.CudaPlan.Dim;
import einc.runtime.cuda.CudaPlan.ExtentRule;
import einc.runtime.cuda.CudaPlan.ParamSpec;
import einc.runtime.cuda.CudaPlan.Role;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The argument block shared by every kernel of a cascade: which 64-bit slot holds which extent,
 * buffer, presence map and the parameter buffer; and the extent rules for the plan.
 */
final class Layout {

    final Cascade cascade;
    final List<ExtentRule> extentRules = new ArrayList<>();
    final List<Buffer> buffers = new ArrayList<>();
    final List<ParamSpec> params = new ArrayList<>();
    final Map<String, Integer> extentSlot = new LinkedHashMap<>();
    final Map<String, Integer> bufferSlot = new LinkedHashMap<>();
    final Map<String, Integer> presenceSlot = new LinkedHashMap<>();
    final Map<String, Integer> paramIndex = new LinkedHashMap<>();
    int paramSlot;

    /**
     * @param workBuffers whether every non-input tensor gets an f32 work buffer with presence
     *     (the per-statement path) or outputs are written directly (the fused path)
     */
    Layout(Cascade c, boolean workBuffers) {
        this.cascade = c;
        for (IndexDef d : c.indices()) extentRules.add(rule(c, d));
        for (TensorDecl t : c.inputs()) buffers.add(new Buffer(t.name(), Role.INPUT, type(t.type()), false, dims(t)));
        for (TensorDecl t : c.outputs()) buffers.add(new Buffer(t.name(), Role.OUTPUT, type(t.type()), false, dims(t)));
        if (workBuffers) {
            for (TensorDecl t : c.outputs()) buffers.add(new Buffer(work(t.name()), Role.TEMP, CudaPlan.Type.F32, true, dims(t)));
            for (TensorDecl t : c.intermediates()) buffers.add(new Buffer(work(t.name()), Role.TEMP, CudaPlan.Type.F32, true, dims(t)));
        }
        for (var p : c.params()) {
            paramIndex.put(p.name(), params.size());
            params.add(new ParamSpec(p.name(), p.defaultValue() != null));
        }
        int slot = 0;
        for (ExtentRule r : extentRules) extentSlot.put(r.index(), slot++);
        for (Buffer b : buffers) bufferSlot.put(b.name(), slot++);
        for (Buffer b : buffers) if (b.presence()) presenceSlot.put(b.name(), slot++);
        paramSlot = slot++;
    }

    static String work(String tensor) {
        return "$" + tensor;
    }

    int slots() {
        return paramSlot + 1;
    }

    Buffer buffer(String name) {
        return buffers.stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow();
    }

    static CudaPlan.Type type(DType t) {
        return switch (t) {
            case F32 -> CudaPlan.Type.F32;
            case F64 -> CudaPlan.Type.F64;
            case F16 -> CudaPlan.Type.F16;
            case BF16 -> CudaPlan.Type.BF16;
        };
    }

    static String ctype(CudaPlan.Type t) {
        return switch (t) {
            case F32 -> "float";
            case F64 -> "double";
            case F16 -> "einc_f16";
            case BF16 -> "einc_bf16";
        };
    }

    /** A C expression converting the element {@code p[o]} of a buffer of type {@code t} to float. */
    static String load(CudaPlan.Type t, String p, String o) {
        return switch (t) {
            case F32 -> p + "[" + o + "]";
            case F64 -> "(float)" + p + "[" + o + "]";
            case F16 -> "einc_f16_to_f32(" + p + "[" + o + "])";
            case BF16 -> "einc_bf16_to_f32(" + p + "[" + o + "])";
        };
    }

    /** A C expression converting the float {@code v} to the element type {@code t}. */
    static String store(CudaPlan.Type t, String v) {
        return switch (t) {
            case F32 -> v;
            case F64 -> "(double)(" + v + ")";
            case F16 -> "einc_f32_to_f16(" + v + ")";
            case BF16 -> "einc_f32_to_bf16(" + v + ")";
        };
    }

    static List<Dim> dims(TensorDecl t) {
        List<Dim> out = new ArrayList<>();
        for (Rank r : t.ranks()) out.add(new Dim(r.index(), r.iterative()));
        return out;
    }

    /** C expression for the extent of rank {@code k} of {@code t}. */
    static String dimExpr(TensorDecl t, int k) {
        Rank r = t.ranks().get(k);
        return r.iterative() ? "(" + CExpr.extent(r.index()) + " + 1)" : CExpr.extent(r.index());
    }

    private static ExtentRule rule(Cascade c, IndexDef d) {
        return switch (d.rule()) {
            case IndexDef.Bound(String rep) -> {
                for (TensorDecl t : c.inputs())
                    for (int k = 0; k < t.arity(); k++) {
                        String ix = t.ranks().get(k).index();
                        if (!t.ranks().get(k).iterative() && sameClass(c, ix, rep)) yield ExtentRule.input(d.name(), t.name(), k);
                    }
                yield ExtentRule.given(d.name());
            }
            case IndexDef.SplitOuter(String parent, var tile) -> ExtentRule.splitOuter(d.name(), parent, literalTile(d, tile));
            case IndexDef.SplitInner(String parent, var tile) -> ExtentRule.splitInner(d.name(), literalTile(d, tile));
        };
    }

    /** The tile of a split, which the generated code fixes; a tile computed from extents is not supported yet. */
    private static long literalTile(IndexDef d, IndexExpr tile) {
        try {
            return Extents.evalConstant(tile, Map.of());
        } catch (IllegalStateException needsExtents) {
            throw new EincException(Diagnostic.error(d.span(), Code.UNSUPPORTED,
                    "the cuda backend needs an integer literal as split tile, but '" + d.name() + "' is split by an expression of extents")
                    .withHint("write the tile as a number (split m = (m1, m0) by 64), or run on another backend"));
        }
    }

    private static boolean sameClass(Cascade c, String index, String rep) {
        return c.index(index).map(d -> d.rule() instanceof IndexDef.Bound(String r) && r.equals(rep)).orElse(false);
    }

    /** The struct declaration and the locals every kernel starts with. */
    String header() {
        return "struct EincArgs { unsigned long long s[" + slots() + "]; };\n";
    }

    /** Locals for every extent, so index expressions can name them. */
    String extentLocals() {
        StringBuilder sb = new StringBuilder();
        for (var e : extentSlot.entrySet())
            sb.append("  const long long ").append(CExpr.extent(e.getKey())).append(" = (long long)a.s[").append(e.getValue()).append("];\n");
        sb.append("  float* prm = (float*)a.s[").append(paramSlot).append("];\n");
        return sb.toString();
    }
}
