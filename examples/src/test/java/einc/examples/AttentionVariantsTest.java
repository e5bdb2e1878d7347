package einc.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.ir.Dense;
import einc.testing.Errors;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every attention variant of {@code examples/attention} run by the reference interpreter and
 * compared with its independent implementation in {@link Naive}, on seeded random inputs of
 * several shapes, ragged ones included (extents that are no multiple of any split tile).
 */
class AttentionVariantsTest {

    /** Both sides compute in float64, so they agree far below LANGUAGE.md §8's f32 tolerance. */
    static final double TOLERANCE = 1e-9;

    /** Extents: batch B, heads H, queries P, keys M, head dimension E, value dimension F. */
    record Shape(int b, int h, int p, int m, int e, int f) {
        @Override
        public String toString() {
            return "B=" + b + " H=" + h + " P=" + p + " M=" + m + " E=" + e + " F=" + f;
        }
    }

    static Stream<Shape> shapes() {
        return Stream.concat(Stream.of(new Shape(1, 1, 1, 1, 1, 1)), largerShapes());
    }

    static Stream<Shape> largerShapes() {
        return Stream.of(
                new Shape(1, 2, 5, 7, 3, 4),
                new Shape(2, 1, 16, 16, 8, 8),
                new Shape(1, 2, 17, 33, 5, 9),
                new Shape(2, 2, 31, 13, 7, 3),
                new Shape(1, 1, 48, 48, 16, 16));
    }

    /** Self-attention shapes (P = M), for cascades that identify query p with key p. */
    static Stream<Shape> selfShapes() {
        return Stream.of(
                new Shape(1, 1, 1, 1, 1, 1),
                new Shape(1, 2, 7, 7, 3, 4),
                new Shape(2, 1, 16, 16, 8, 8),
                new Shape(1, 2, 33, 33, 5, 9),
                new Shape(1, 1, 48, 48, 16, 16));
    }

    /** BASED keeps an E x E state per query: smaller head dimensions keep the test fast. */
    static Stream<Shape> basedShapes() {
        return Stream.of(
                new Shape(1, 1, 1, 1, 1, 1),
                new Shape(1, 2, 9, 6, 3, 4),
                new Shape(2, 1, 17, 17, 4, 5),
                new Shape(1, 1, 40, 40, 6, 6));
    }

    /** Random Q[b,h,p,e], K[b,h,m,e], V[b,h,m,f] from a seed derived from the shape. */
    record Qkv(double[][][][] q, double[][][][] k, double[][][][] v) {
        static Qkv of(Shape s, Random rng) {
            return new Qkv(Tensors.normal(rng, s.b, s.h, s.p, s.e), Tensors.normal(rng, s.b, s.h, s.m, s.e), Tensors.normal(rng, s.b, s.h, s.m, s.f));
        }

        Map<String, Dense> inputs() {
            Map<String, Dense> in = new LinkedHashMap<>();
            in.put("Q", Tensors.dense(q));
            in.put("K", Tensors.dense(k));
            in.put("V", Tensors.dense(v));
            return in;
        }
    }

    static Random rng(Shape s) {
        return new Random(s.hashCode() * 31L + 7);
    }

    /** out[b][h] = head.apply(b, h) for every batch and head. */
    static double[][][][] perHead(Shape s, BiFunction<Integer, Integer, double[][]> head) {
        double[][][][] out = new double[s.b][s.h][][];
        for (int b = 0; b < s.b; b++) for (int h = 0; h < s.h; h++) out[b][h] = head.apply(b, h);
        return out;
    }

    /** Runs {@code file} and compares output {@code output} with {@code expected}. */
    static void check(String file, Map<String, Dense> inputs, Map<String, Double> params, String output, Object expected) {
        check(file, inputs, params, Map.of(output, expected));
    }

    static void check(String file, Map<String, Dense> inputs, Map<String, Double> params, Map<String, Object> expected) {
        Map<String, Dense> got = Ein.run(file, inputs, params);
        expected.forEach((name, want) -> {
            Dense w = Tensors.dense(want);
            Dense g = got.get(name);
            assertTrue(g != null, file + ": no output " + name + " among " + got.keySet());
            assertArrayEquals(w.shape(), g.shape(), file + ": shape of " + name);
            double err = Errors.relativeL2(g.data(), w.data());
            assertTrue(err < TOLERANCE, file + ": output " + name + " has relative L2 error " + err + " (want < " + TOLERANCE + "); got "
                    + Arrays.toString(Arrays.copyOf(g.data(), Math.min(6, g.data().length))) + "..., want "
                    + Arrays.toString(Arrays.copyOf(w.data(), Math.min(6, w.data().length))) + "...");
        });
    }

    static double scale(Shape s) {
        return 1 / Math.sqrt(s.e);
    }

    // ---------------------------------------------------------------- softmax and its cascades

    @ParameterizedTest
    @MethodSource("shapes")
    void softmaxThreePass(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/softmax.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.softmaxAttention(x.q[b][h], x.k[b][h], x.v[b][h], scale(s), Naive.ALL)));
    }

    /** Shapes of several tiles of 64 keys, ragged and not, for the FuseMax cascades split by 64. */
    static Stream<Shape> tiledShapes() {
        return Stream.concat(shapes(), Stream.of(new Shape(1, 2, 8, 100, 4, 3), new Shape(1, 1, 3, 128, 2, 2)));
    }

    /** FuseMax's 2-pass cascade (written with the FuseMax cascades, no scale). */
    @ParameterizedTest
    @MethodSource("tiledShapes")
    void softmaxTwoPass(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("fusemax/cascade_2pass.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.softmaxAttention(x.q[b][h], x.k[b][h], x.v[b][h], 1.0, Naive.ALL)));
    }

    /** LANGUAGE.md §7's Cascade 5 has no scale. */
    @ParameterizedTest
    @MethodSource("tiledShapes")
    void softmaxOnePass(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/softmax_1pass.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.softmaxAttention(x.q[b][h], x.k[b][h], x.v[b][h], 1.0, Naive.ALL)));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void causal(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/causal.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.softmaxAttention(x.q[b][h], x.k[b][h], x.v[b][h], scale(s), Naive.CAUSAL)));
    }

    // ---------------------------------------------------------------- masks and biases

    @ParameterizedTest
    @MethodSource("shapes")
    void slidingWindow(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/sliding_window.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.neighborhood(x.q[b][h], x.k[b][h], x.v[b][h], 3)));
        check("attention/sliding_window.ein", x.inputs(), Map.of("radius", 1.0), "AV",
                perHead(s, (b, h) -> Naive.neighborhood(x.q[b][h], x.k[b][h], x.v[b][h], 1)));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void alibi(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        double[] slope = new double[s.h];
        for (int h = 0; h < s.h; h++) slope[h] = Math.pow(2, -8.0 * (h + 1) / s.h);
        Map<String, Dense> in = x.inputs();
        in.put("slope", Tensors.dense(slope));
        check("attention/alibi.ein", in, Map.of(), "AV",
                perHead(s, (b, h) -> Naive.alibi(x.q[b][h], x.k[b][h], x.v[b][h], slope[h])));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void softcap(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/softcap.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.softcap(x.q[b][h], x.k[b][h], x.v[b][h], 50)));
        check("attention/softcap.ein", x.inputs(), Map.of("cap", 0.75), "AV",
                perHead(s, (b, h) -> Naive.softcap(x.q[b][h], x.k[b][h], x.v[b][h], 0.75)));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void sinksWindow(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/sinks_window.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.sinksWindow(x.q[b][h], x.k[b][h], x.v[b][h], 4, 16)));
        check("attention/sinks_window.ein", x.inputs(), Map.of("sinks", 2.0, "window", 3.0), "AV",
                perHead(s, (b, h) -> Naive.sinksWindow(x.q[b][h], x.k[b][h], x.v[b][h], 2, 3)));
    }

    // ---------------------------------------------------------------- shared keys and values

    record Grouped(Shape shape, int groups) {}

    static Stream<Grouped> groupedShapes() {
        return Stream.of(
                new Grouped(new Shape(1, 4, 5, 7, 3, 4), 2),
                new Grouped(new Shape(2, 6, 17, 33, 5, 9), 3),
                new Grouped(new Shape(1, 3, 13, 13, 4, 2), 3),
                new Grouped(new Shape(1, 2, 31, 20, 8, 8), 1));
    }

    @ParameterizedTest
    @MethodSource("groupedShapes")
    void groupedQuery(Grouped c) {
        Shape s = c.shape;
        Random rng = rng(s);
        double[][][][] q = Tensors.normal(rng, s.b, s.h, s.p, s.e);
        double[][][][] k = Tensors.normal(rng, s.b, c.groups, s.m, s.e);
        double[][][][] v = Tensors.normal(rng, s.b, c.groups, s.m, s.f);
        int perGroup = s.h / c.groups;
        check("attention/gqa.ein", Map.of("Q", Tensors.dense(q), "K", Tensors.dense(k), "V", Tensors.dense(v)), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.softmaxAttention(q[b][h], k[b][h / perGroup], v[b][h / perGroup], scale(s), Naive.ALL)));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void multiQuery(Shape s) {
        Random rng = rng(s);
        double[][][][] q = Tensors.normal(rng, s.b, s.h, s.p, s.e);
        double[][][][] k = Tensors.normal(rng, s.b, 1, s.m, s.e);
        double[][][][] v = Tensors.normal(rng, s.b, 1, s.m, s.f);
        Map<String, Dense> in = Map.of("Q", Tensors.dense(q), "K", Tensors.dense(flatHeads(k)), "V", Tensors.dense(flatHeads(v)));
        check("attention/mqa.ein", in, Map.of(), "AV",
                perHead(s, (b, h) -> Naive.softmaxAttention(q[b][h], k[b][0], v[b][0], scale(s), Naive.ALL)));
    }

    /** [b][1][m][e] as [b][m][e]: the one shared head of multi-query attention. */
    static double[][][] flatHeads(double[][][][] x) {
        double[][][] out = new double[x.length][][];
        for (int b = 0; b < x.length; b++) out[b] = x[b][0];
        return out;
    }

    // ---------------------------------------------------------------- other normalizations

    @ParameterizedTest
    @MethodSource("shapes")
    void sigmoid(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/sigmoid.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.sigmoid(x.q[b][h], x.k[b][h], x.v[b][h])));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void softplusL1(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/softplus_l1.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.softplusL1(x.q[b][h], x.k[b][h], x.v[b][h])));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void relu(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/relu.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.relu(x.q[b][h], x.k[b][h], x.v[b][h])));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void cosine(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/cosine.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.cosine(x.q[b][h], x.k[b][h], x.v[b][h], 0.1)));
    }

    // ---------------------------------------------------------------- linear attention

    @ParameterizedTest
    @MethodSource("shapes")
    void linear(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/linear.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.linear(x.q[b][h], x.k[b][h], x.v[b][h], Naive.ALL)));
    }

    @ParameterizedTest
    @MethodSource("selfShapes")
    void linearCausalChunked(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/linear_causal.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.linear(x.q[b][h], x.k[b][h], x.v[b][h], Naive.CAUSAL)));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void linearCausalPrefix(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/linear_causal_prefix.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.linear(x.q[b][h], x.k[b][h], x.v[b][h], Naive.CAUSAL)));
    }

    @ParameterizedTest
    @MethodSource("basedShapes")
    void based(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("LA", perHead(s, (b, h) -> Naive.basedTaylor(x.q[b][h], x.k[b][h], x.v[b][h])));
        expected.put("SW", perHead(s, (b, h) -> Naive.basedWindow(x.q[b][h], x.k[b][h], x.v[b][h], 5)));
        check("attention/based.ein", x.inputs(), Map.of("window", 5.0), expected);
        check("attention/based.ein", x.inputs(), Map.of(), "SW",
                perHead(s, (b, h) -> Naive.basedWindow(x.q[b][h], x.k[b][h], x.v[b][h], 64)));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void agent(Shape s) {
        Random rng = rng(s);
        Qkv x = Qkv.of(s, rng);
        int agents = 1 + s.p % 5;
        double[][][][] ag = Tensors.normal(rng, s.b, s.h, agents, s.e);
        Map<String, Dense> in = x.inputs();
        in.put("AG", Tensors.dense(ag));
        check("attention/agent.ein", in, Map.of(), "AV",
                perHead(s, (b, h) -> Naive.agent(x.q[b][h], x.k[b][h], x.v[b][h], ag[b][h])));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void differential(Shape s) {
        Random rng = rng(s);
        double[][][][] q1 = Tensors.normal(rng, s.b, s.h, s.p, s.e), k1 = Tensors.normal(rng, s.b, s.h, s.m, s.e);
        double[][][][] q2 = Tensors.normal(rng, s.b, s.h, s.p, s.e), k2 = Tensors.normal(rng, s.b, s.h, s.m, s.e);
        double[][][][] v = Tensors.normal(rng, s.b, s.h, s.m, s.f);
        Map<String, Dense> in = new LinkedHashMap<>();
        in.put("Q1", Tensors.dense(q1));
        in.put("K1", Tensors.dense(k1));
        in.put("Q2", Tensors.dense(q2));
        in.put("K2", Tensors.dense(k2));
        in.put("V", Tensors.dense(v));
        check("attention/differential.ein", in, Map.of(), "AV",
                perHead(s, (b, h) -> Naive.differential(q1[b][h], k1[b][h], q2[b][h], k2[b][h], v[b][h], 0.2)));
        check("attention/differential.ein", in, Map.of("lambda", 0.65), "AV",
                perHead(s, (b, h) -> Naive.differential(q1[b][h], k1[b][h], q2[b][h], k2[b][h], v[b][h], 0.65)));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void mixtureOfHeads(Shape s) {
        Random rng = rng(s);
        Qkv x = Qkv.of(s, rng);
        double[][][] weights = new double[s.b][s.p][s.h];
        for (double[][] wb : weights) for (double[] wp : wb) for (int h = 0; h < s.h; h++) wp[h] = rng.nextDouble() < 0.3 ? 0 : rng.nextDouble();
        Map<String, Dense> in = x.inputs();
        in.put("GW", Tensors.dense(weights));
        double[][][] want = new double[s.b][s.p][s.f];
        for (int b = 0; b < s.b; b++)
            for (int h = 0; h < s.h; h++) {
                double[][] head = Naive.softmaxAttention(x.q[b][h], x.k[b][h], x.v[b][h], scale(s), Naive.ALL);
                for (int p = 0; p < s.p; p++) for (int f = 0; f < s.f; f++) want[b][p][f] += weights[b][p][h] * head[p][f];
            }
        check("attention/moh.ein", in, Map.of(), "Y", want);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void flow(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        check("attention/flow.ein", x.inputs(), Map.of(), "AV",
                perHead(s, (b, h) -> Naive.flow(x.q[b][h], x.k[b][h], x.v[b][h], 1e-6)));
    }

    /** The independent implementations are not vacuous: masks and maps change the result. */
    @ParameterizedTest
    @MethodSource("largerShapes")
    void referencesDiffer(Shape s) {
        Qkv x = Qkv.of(s, rng(s));
        double[][] full = Naive.softmaxAttention(x.q[0][0], x.k[0][0], x.v[0][0], scale(s), Naive.ALL);
        double[][] causal = Naive.softmaxAttention(x.q[0][0], x.k[0][0], x.v[0][0], scale(s), Naive.CAUSAL);
        double[][] linear = Naive.linear(x.q[0][0], x.k[0][0], x.v[0][0], Naive.ALL);
        assertTrue(Errors.relativeL2(Tensors.dense(causal).data(), Tensors.dense(full).data()) > 1e-3);
        assertTrue(Errors.relativeL2(Tensors.dense(linear).data(), Tensors.dense(full).data()) > 1e-3);
        assertEquals(full.length, s.p);
    }
}
