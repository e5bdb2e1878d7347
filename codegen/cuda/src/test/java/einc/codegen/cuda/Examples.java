package einc.codegen.cuda;

import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Param;
import java.util.LinkedHashMap;
import java.util.Map;

/** The attention cascades the CUDA tests and the GPU check run, built by hand until the frontend lands. */
final class Examples {

    private Examples() {}

    static Map<String, Cascade> all() {
        Map<String, Cascade> out = new LinkedHashMap<>();
        for (DType t : new DType[] {DType.F32, DType.BF16}) {
            String s = t.spelling();
            out.put("softmax_" + s, Ir.softmax("softmax_" + s, t, x -> x, null));
            out.put("causal_" + s, Ir.softmax("causal_" + s, t, x -> x, Ir.causal()));
            out.put("window_" + s, Ir.softmax("window_" + s, t, x -> x, Ir.window(5)));
            out.put("softcap_" + s, Ir.softmax("softcap_" + s, t, Ir::softcap, null, new Param("cap", Ir.num(50), Ir.S)));
            out.put("softplus_l1_" + s, Ir.l1("softplus_l1_" + s, t, einc.ir.Expr.Fn.SOFTPLUS));
        }
        // a negative slope of the scores
        out.put("softmax_negscale_bf16", Ir.softmax("softmax_negscale_bf16", DType.BF16,
                Ir.bin(einc.ir.Expr.Op.DIV, Ir.num(-1), Ir.fn(einc.ir.Expr.Fn.SQRT, new einc.ir.Expr.ExtentRef("e"))), x -> x, null));
        out.put("attention_1pass", Ir.onePass(DType.F32, 4));
        // SNV / SD as written under a mask that empties the first row: NaN there unguarded, 0 guarded
        out.put("deferred_empty_f32", Ir.deferred("deferred_empty_f32", DType.F32, Ir.strictCausal(), false));
        out.put("deferred_empty_bf16", Ir.deferred("deferred_empty_bf16", DType.BF16, Ir.strictCausal(), false));
        out.put("guarded_empty_f32", Ir.deferred("guarded_empty_f32", DType.F32, Ir.strictCausal(), true));
        return out;
    }
}
