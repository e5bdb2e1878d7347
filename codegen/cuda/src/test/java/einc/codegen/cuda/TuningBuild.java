package einc.codegen.cuda;

import einc.ir.Cascade;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds the bench cascades with other {@link FlashKernels.Tuning}s than the default, for timing
 * variants side by side in one GPU call: {@code TuningBuild DIR MMATILES QREGUPTO MMAKEYTILE F32TENSORCORES F32KEYTILE [MMAKEYTILE128 [SPLIT64 SPLIT128 [WGMMA]]]} writes
 * {@code DIR/bench_<case>} folders that {@link GpuBench} takes as {@code LABEL=DIR}.
 */
public final class TuningBuild {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        FlashKernels.Tuning t = new FlashKernels.Tuning(Integer.parseInt(args[1]), Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), Boolean.parseBoolean(args[4]), Integer.parseInt(args[5]),
                Integer.parseInt(args.length > 6 ? args[6] : args[3]), Integer.parseInt(args.length > 7 ? args[7] : "1"), Integer.parseInt(args.length > 8 ? args[8] : "1"),
                args.length > 9 && Boolean.parseBoolean(args[9]));
        for (Map.Entry<String, Cascade> e : BenchCases.cascades().entrySet()) {
            AttentionRecognizer.Result r = AttentionRecognizer.recognize(e.getValue());
            String prefix = "einc_" + e.getValue().name();
            CudaProgram p = FlashKernels.generate(e.getValue(), r.pattern().orElseThrow(), prefix, r.why(), t);
            CudaAot.write(p, out.resolve("bench_" + e.getKey()), CudaAot.nvcc(), "sm_90");
            System.out.println("built " + out.resolve("bench_" + e.getKey()));
        }
    }
}
