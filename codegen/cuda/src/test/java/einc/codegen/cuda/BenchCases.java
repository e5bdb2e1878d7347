package einc.codegen.cuda;

import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Expr;
import java.util.LinkedHashMap;
import java.util.Map;

/** The cascades timed against PyTorch on the H200 (bench/gpu): the six targets. */
final class BenchCases {

    private BenchCases() {}

    static Map<String, Cascade> cascades() {
        Map<String, Cascade> out = new LinkedHashMap<>();
        out.put("softmax_bf16", Examples.softmax("softmax_bf16", DType.BF16, x -> x, null));
        out.put("causal_bf16", Examples.softmax("causal_bf16", DType.BF16, x -> x, Examples.causal()));
        out.put("window512_bf16", Examples.softmax("window512_bf16", DType.BF16, x -> x, Examples.window(512)));
        out.put("softcap_bf16", Examples.softcap("softcap_bf16", DType.BF16));
        out.put("softplus_l1_bf16", Examples.l1("softplus_l1_bf16", DType.BF16, Expr.Fn.SOFTPLUS));
        out.put("softmax_f32", Examples.softmax("softmax_f32", DType.F32, x -> x, null));
        return out;
    }
}
