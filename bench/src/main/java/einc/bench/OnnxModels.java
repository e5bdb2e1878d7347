package einc.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * ONNX models of one attention node, written as protobuf bytes by hand (no onnx library): the
 * opset-23 {@code Attention} op over {@code [B, H, N, D]} tensors and the contrib op
 * {@code com.microsoft:MultiHeadAttention} over {@code [B, N, H*D]} tensors, f32, scale 1/sqrt(D).
 * Field numbers follow onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
 * ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto).
 */
public final class OnnxModels {

    private OnnxModels() {}

    /** ONNX IR version 11 (ONNX 1.18), the one that opset 23 belongs to. */
    static final long IR_VERSION = 11;
    static final int FLOAT = 1;

    /**
     * {@code Y = Attention(Q, K, V)} (opset 23) on 4-D inputs {@code [b, h, n, d]}; {@code is_causal=1}
     * when {@code causal}.
     */
    public static byte[] attention23(int b, int h, int n, int d, boolean causal) {
        long[] shape = {b, h, n, d};
        Proto node = node("Attention", "", List.of("Q", "K", "V"), List.of("Y"),
                intAttr("is_causal", causal ? 1 : 0), floatAttr("scale", (float) (1 / Math.sqrt(d))));
        Proto graph = new Proto().message(1, node).string(2, "attention23")
                .message(11, valueInfo("Q", shape)).message(11, valueInfo("K", shape)).message(11, valueInfo("V", shape))
                .message(12, valueInfo("Y", shape));
        return model(graph);
    }

    /**
     * {@code Y = com.microsoft:MultiHeadAttention(query, key, value)} on 3-D inputs {@code [b, n, h*d]}
     * with {@code num_heads=h}; when {@code causal}, a fifth graph input {@code bias} of shape
     * {@code [1, 1, n, n]} is passed as {@code attention_bias} (0 where a key is visible, a large
     * negative number above the diagonal).
     */
    public static byte[] multiHeadAttention(int b, int h, int n, int d, boolean causal) {
        long[] shape = {b, n, (long) h * d};
        List<String> inputs = causal ? List.of("Q", "K", "V", "", "", "bias") : List.of("Q", "K", "V");
        Proto node = node("MultiHeadAttention", "com.microsoft", inputs, List.of("Y"),
                intAttr("num_heads", h), floatAttr("scale", (float) (1 / Math.sqrt(d))));
        Proto graph = new Proto().message(1, node).string(2, "mha")
                .message(11, valueInfo("Q", shape)).message(11, valueInfo("K", shape)).message(11, valueInfo("V", shape));
        if (causal) graph.message(11, valueInfo("bias", new long[] {1, 1, n, n}));
        graph.message(12, valueInfo("Y", shape));
        return model(graph);
    }

    /** The additive causal mask of {@link #multiHeadAttention}: row-major {@code [n, n]}. */
    public static float[] causalBias(int n) {
        float[] bias = new float[n * n];
        for (int p = 0; p < n; p++)
            for (int m = p + 1; m < n; m++) bias[p * n + m] = -1e30f;
        return bias;
    }

    private static byte[] model(Proto graph) {
        return new Proto().varint(1, IR_VERSION).string(2, "einc-bench")
                .message(7, graph)
                .message(8, new Proto().string(1, "").varint(2, 23))
                .message(8, new Proto().string(1, "com.microsoft").varint(2, 1))
                .bytes();
    }

    private static Proto node(String op, String domain, List<String> inputs, List<String> outputs, Proto... attributes) {
        Proto node = new Proto();
        for (String i : inputs) node.string(1, i);
        for (String o : outputs) node.string(2, o);
        node.string(3, op.toLowerCase()).string(4, op);
        for (Proto a : attributes) node.message(5, a);
        if (!domain.isEmpty()) node.string(7, domain);
        return node;
    }

    private static Proto intAttr(String name, long value) {
        return new Proto().string(1, name).varint(3, value).varint(20, 2);
    }

    private static Proto floatAttr(String name, float value) {
        return new Proto().string(1, name).fixed32(2, Float.floatToIntBits(value)).varint(20, 1);
    }

    private static Proto valueInfo(String name, long[] shape) {
        Proto dims = new Proto();
        for (long s : shape) dims.message(1, new Proto().varint(1, s));
        Proto tensor = new Proto().varint(1, FLOAT).message(2, dims);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensor));
    }

    /** A protobuf message being written: fields appended in order, as tag and value. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            tag(field, 0);
            raw(value);
            return this;
        }

        Proto fixed32(int field, int value) {
            tag(field, 5);
            for (int i = 0; i < 4; i++) out.write(value >>> (8 * i));
            return this;
        }

        Proto string(int field, String value) {
            return lengthDelimited(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto value) {
            return lengthDelimited(field, value.bytes());
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private Proto lengthDelimited(int field, byte[] value) {
            tag(field, 2);
            raw(value.length);
            out.writeBytes(value);
            return this;
        }

        private void tag(int field, int wireType) {
            raw(((long) field << 3) | wireType);
        }

        private void raw(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }
    }
}
