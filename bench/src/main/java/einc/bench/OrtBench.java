package einc.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The anchor: ONNX Runtime's CPU attention operators, opset-23 {@code Attention} and the contrib
 * {@code com.microsoft:MultiHeadAttention}, f32, 2 intra-op threads, on the inputs of
 * {@link Workload}. Every (operator, case) pair runs in a JVM of its own, so ORT's spinning worker
 * threads never overlap another benchmark. The output is checked against a float64 reference in
 * the setup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 10, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
public class OrtBench {

    @Param({"8x1024x64", "8x4096x64", "8x1024x64-causal", "8x4096x64-causal", "16x2048x128"})
    public String shape;

    @Param({"mha", "attention"})
    public String op;

    @Param({"2"})
    public int threads;

    OrtEnvironment env;
    OrtSession session;
    Map<String, OnnxTensor> feed;

    @Setup(Level.Trial)
    public void setup() throws OrtException {
        Workload w = Workload.of(shape);
        float[][] qkv = w.inputs();
        Session s = Session.open(w, op, threads, qkv);
        env = s.env;
        session = s.session;
        feed = s.feed;
        float[] out = s.run();
        w.check("ort " + op, out, qkv[0], qkv[1], qkv[2], 1e-4);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        for (OnnxTensor t : feed.values()) t.close();
        session.close();
    }

    @Benchmark
    public Object ort() throws OrtException {
        try (OrtSession.Result r = session.run(feed)) {
            return r.get(0).getInfo();
        }
    }

    /** An ORT session over one model with its inputs bound, shared with the correctness test. */
    public record Session(OrtEnvironment env, OrtSession session, Map<String, OnnxTensor> feed, Workload w, String op) {

        /** Builds the model of {@code op} ({@code mha} or {@code attention}) for {@code w} and binds {@code qkv} ({@code [B, H, N, D]}). */
        public static Session open(Workload w, String op, int threads, float[][] qkv) throws OrtException {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            boolean mha = op.equals("mha");
            byte[] model = mha ? OnnxModels.multiHeadAttention(w.b(), w.h(), w.n(), w.d(), w.causal())
                    : OnnxModels.attention23(w.b(), w.h(), w.n(), w.d(), w.causal());
            OrtSession session = env.createSession(model, options);
            long[] shape = mha ? new long[] {w.b(), w.n(), (long) w.h() * w.d()} : new long[] {w.b(), w.h(), w.n(), w.d()};
            Map<String, OnnxTensor> feed = new LinkedHashMap<>();
            String[] names = {"Q", "K", "V"};
            for (int i = 0; i < 3; i++)
                feed.put(names[i], OnnxTensor.createTensor(env, direct(mha ? w.transposeHeads(qkv[i], false) : qkv[i]), shape));
            if (mha && w.causal())
                feed.put("bias", OnnxTensor.createTensor(env, direct(OnnxModels.causalBias(w.n())), new long[] {1, 1, w.n(), w.n()}));
            return new Session(env, session, feed, w, op);
        }

        /** Runs the model once; the output in {@code [B, H, N, D]} order. */
        public float[] run() throws OrtException {
            try (OrtSession.Result r = session.run(feed)) {
                FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] out = new float[fb.remaining()];
                fb.get(out);
                return op.equals("mha") ? w.transposeHeads(out, true) : out;
            }
        }

        static FloatBuffer direct(float[] a) {
            FloatBuffer fb = ByteBuffer.allocateDirect(a.length * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            fb.put(a).flip();
            return fb;
        }
    }
}
