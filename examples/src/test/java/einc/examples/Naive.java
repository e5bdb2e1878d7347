package einc.examples;

import java.util.function.BiPredicate;

/**
 * Independent implementations of the attention variants for one head: straight loops in double,
 * written from the papers' formulas (the quadratic form where a variant is "linear"), sharing no
 * code with einc. Matrices are indexed [query p][key m], [p][e], [m][f].
 */
final class Naive {

    private Naive() {}

    /** Every (p, m) is allowed. */
    static final BiPredicate<Integer, Integer> ALL = (p, m) -> true;
    /** Causal: key m at or before query p. */
    static final BiPredicate<Integer, Integer> CAUSAL = (p, m) -> m <= p;

    /** s[p][m] = scale * q[p] . k[m]. */
    static double[][] scores(double[][] q, double[][] k, double scale) {
        double[][] s = new double[q.length][k.length];
        for (int p = 0; p < q.length; p++)
            for (int m = 0; m < k.length; m++) {
                double dot = 0;
                for (int e = 0; e < q[p].length; e++) dot += q[p][e] * k[m][e];
                s[p][m] = scale * dot;
            }
        return s;
    }

    /** Row-wise softmax over the allowed keys; a row with no allowed key is all zero. */
    static double[][] softmax(double[][] s, BiPredicate<Integer, Integer> allowed) {
        double[][] a = new double[s.length][];
        for (int p = 0; p < s.length; p++) {
            a[p] = new double[s[p].length];
            double max = Double.NEGATIVE_INFINITY;
            for (int m = 0; m < s[p].length; m++) if (allowed.test(p, m)) max = Math.max(max, s[p][m]);
            double sum = 0;
            for (int m = 0; m < s[p].length; m++) if (allowed.test(p, m)) sum += Math.exp(s[p][m] - max);
            for (int m = 0; m < s[p].length; m++) if (allowed.test(p, m)) a[p][m] = Math.exp(s[p][m] - max) / sum;
        }
        return a;
    }

    /** out[p][f] = sum_m a[p][m] v[m][f]. */
    static double[][] times(double[][] a, double[][] v) {
        int fs = v.length == 0 ? 0 : v[0].length;
        double[][] out = new double[a.length][fs];
        for (int p = 0; p < a.length; p++)
            for (int f = 0; f < fs; f++) {
                double acc = 0;
                for (int m = 0; m < v.length; m++) acc += a[p][m] * v[m][f];
                out[p][f] = acc;
            }
        return out;
    }

    /** Vaswani et al.: softmax(scale Q K^T) V under a mask. */
    static double[][] softmaxAttention(double[][] q, double[][] k, double[][] v, double scale, BiPredicate<Integer, Integer> allowed) {
        return times(softmax(scores(q, k, scale), allowed), v);
    }

    /** Neighborhood attention (1-D): the 2r+1 nearest keys, the window shifted to fit at the ends. */
    static double[][] neighborhood(double[][] q, double[][] k, double[][] v, int radius) {
        int keys = k.length;
        BiPredicate<Integer, Integer> inWindow = (p, m) -> {
            int start = Math.max(0, Math.min(p - radius, keys - 1 - 2 * radius));
            return m >= start && m <= start + 2 * radius;
        };
        return softmaxAttention(q, k, v, 1 / Math.sqrt(q[0].length), inWindow);
    }

    /** ALiBi: causal softmax of scale q.k - slope (p - m). */
    static double[][] alibi(double[][] q, double[][] k, double[][] v, double slope) {
        double[][] s = scores(q, k, 1 / Math.sqrt(q[0].length));
        for (int p = 0; p < s.length; p++)
            for (int m = 0; m < s[p].length; m++) s[p][m] -= slope * (p - m);
        return times(softmax(s, CAUSAL), v);
    }

    /** Gemma 2's soft cap: softmax of cap tanh(s / cap). */
    static double[][] softcap(double[][] q, double[][] k, double[][] v, double cap) {
        double[][] s = scores(q, k, 1 / Math.sqrt(q[0].length));
        for (double[] row : s)
            for (int m = 0; m < row.length; m++) row[m] = cap * Math.tanh(row[m] / cap);
        return times(softmax(s, ALL), v);
    }

    /** StreamingLLM: causal, the first `sinks` keys plus the last `window` keys. */
    static double[][] sinksWindow(double[][] q, double[][] k, double[][] v, int sinks, int window) {
        return softmaxAttention(q, k, v, 1 / Math.sqrt(q[0].length), (p, m) -> m <= p && (m < sinks || p - m < window));
    }

    /** Sigmoid attention: sum_m sigmoid(s + bias) v, bias = -log(M). */
    static double[][] sigmoid(double[][] q, double[][] k, double[][] v) {
        double[][] s = scores(q, k, 1 / Math.sqrt(q[0].length));
        double bias = -Math.log(k.length);
        for (double[] row : s)
            for (int m = 0; m < row.length; m++) row[m] = 1 / (1 + Math.exp(-(row[m] + bias)));
        return times(s, v);
    }

    /** Softplus attention with l1 normalization. */
    static double[][] softplusL1(double[][] q, double[][] k, double[][] v) {
        double[][] s = scores(q, k, 1 / Math.sqrt(q[0].length));
        for (double[] row : s) {
            double l1 = 0;
            for (int m = 0; m < row.length; m++) {
                row[m] = Math.log1p(Math.exp(row[m]));
                l1 += Math.abs(row[m]);
            }
            for (int m = 0; m < row.length; m++) row[m] /= l1;
        }
        return times(s, v);
    }

    /** ReLU attention: relu(s) / M. */
    static double[][] relu(double[][] q, double[][] k, double[][] v) {
        double[][] s = scores(q, k, 1 / Math.sqrt(q[0].length));
        for (double[] row : s)
            for (int m = 0; m < row.length; m++) row[m] = Math.max(0, row[m]) / k.length;
        return times(s, v);
    }

    /** Swin V2's scaled cosine attention: softmax of cos(q, k) / tau. */
    static double[][] cosine(double[][] q, double[][] k, double[][] v, double tau) {
        double[][] s = new double[q.length][k.length];
        for (int p = 0; p < q.length; p++)
            for (int m = 0; m < k.length; m++) {
                double dot = 0, qq = 0, kk = 0;
                for (int e = 0; e < q[p].length; e++) {
                    dot += q[p][e] * k[m][e];
                    qq += q[p][e] * q[p][e];
                    kk += k[m][e] * k[m][e];
                }
                s[p][m] = dot / (Math.sqrt(qq) * Math.sqrt(kk)) / tau;
            }
        return times(softmax(s, ALL), v);
    }

    static double elu1(double x) {
        return x > 0 ? x + 1 : Math.exp(x);
    }

    /** Katharopoulos et al. in the quadratic form: phi(q).phi(k) weights, normalized, under a mask. */
    static double[][] linear(double[][] q, double[][] k, double[][] v, BiPredicate<Integer, Integer> allowed) {
        double[][] w = new double[q.length][k.length];
        for (int p = 0; p < q.length; p++) {
            double den = 0;
            for (int m = 0; m < k.length; m++) {
                if (!allowed.test(p, m)) continue;
                double dot = 0;
                for (int e = 0; e < q[p].length; e++) dot += elu1(q[p][e]) * elu1(k[m][e]);
                w[p][m] = dot;
                den += dot;
            }
            for (int m = 0; m < k.length; m++) w[p][m] /= den;
        }
        return times(w, v);
    }

    /** BASED's linear part in the quadratic form: causal, weights 1 + s + s^2 / 2, normalized. */
    static double[][] basedTaylor(double[][] q, double[][] k, double[][] v) {
        double[][] s = scores(q, k, 1 / Math.sqrt(q[0].length));
        for (int p = 0; p < s.length; p++) {
            double den = 0;
            for (int m = 0; m < s[p].length; m++) {
                s[p][m] = m <= p ? 1 + s[p][m] + s[p][m] * s[p][m] / 2 : 0;
                den += s[p][m];
            }
            for (int m = 0; m < s[p].length; m++) s[p][m] = den == 0 ? 0 : s[p][m] / den;
        }
        return times(s, v);
    }

    /** BASED's sliding-window part: causal softmax over the last `window` keys. */
    static double[][] basedWindow(double[][] q, double[][] k, double[][] v, int window) {
        return softmaxAttention(q, k, v, 1 / Math.sqrt(q[0].length), (p, m) -> m <= p && p - m < window);
    }

    /** Agent attention: softmax(Q A^T) (softmax(A K^T) V). */
    static double[][] agent(double[][] q, double[][] k, double[][] v, double[][] agents) {
        double scale = 1 / Math.sqrt(q[0].length);
        double[][] agentValues = softmaxAttention(agents, k, v, scale, ALL);
        return softmaxAttention(q, agents, agentValues, scale, ALL);
    }

    /** Differential attention: (softmax(Q1 K1^T) - lambda softmax(Q2 K2^T)) V. */
    static double[][] differential(double[][] q1, double[][] k1, double[][] q2, double[][] k2, double[][] v, double lambda) {
        double scale = 1 / Math.sqrt(q1[0].length);
        double[][] a1 = softmax(scores(q1, k1, scale), ALL);
        double[][] a2 = softmax(scores(q2, k2, scale), ALL);
        double[][] a = new double[a1.length][];
        for (int p = 0; p < a1.length; p++) {
            a[p] = new double[a1[p].length];
            for (int m = 0; m < a1[p].length; m++) a[p][m] = a1[p][m] - lambda * a2[p][m];
        }
        return times(a, v);
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** Flowformer's flow attention, following the authors' reference code (with its eps). */
    static double[][] flow(double[][] q, double[][] k, double[][] v, double eps) {
        int ps = q.length, ms = k.length, es = q[0].length, fs = v[0].length;
        double[][] fq = new double[ps][es], fk = new double[ms][es];
        for (int p = 0; p < ps; p++) for (int e = 0; e < es; e++) fq[p][e] = sigmoid(q[p][e]);
        for (int m = 0; m < ms; m++) for (int e = 0; e < es; e++) fk[m][e] = sigmoid(k[m][e]);
        double[] kSum = new double[es], qSum = new double[es];
        for (int m = 0; m < ms; m++) for (int e = 0; e < es; e++) kSum[e] += fk[m][e];
        for (int p = 0; p < ps; p++) for (int e = 0; e < es; e++) qSum[e] += fq[p][e];
        double[] sinkIncoming = new double[ps], sourceOutgoing = new double[ms];
        for (int p = 0; p < ps; p++) {
            double d = 0;
            for (int e = 0; e < es; e++) d += (fq[p][e] + eps) * (kSum[e] + eps);
            sinkIncoming[p] = 1 / d;
        }
        for (int m = 0; m < ms; m++) {
            double d = 0;
            for (int e = 0; e < es; e++) d += (fk[m][e] + eps) * (qSum[e] + eps);
            sourceOutgoing[m] = 1 / d;
        }
        double[] kOut = new double[es], qIn = new double[es];
        for (int m = 0; m < ms; m++) for (int e = 0; e < es; e++) kOut[e] += fk[m][e] * sourceOutgoing[m];
        for (int p = 0; p < ps; p++) for (int e = 0; e < es; e++) qIn[e] += fq[p][e] * sinkIncoming[p];
        double[] conservedSink = new double[ps], conservedSource = new double[ms];
        for (int p = 0; p < ps; p++) for (int e = 0; e < es; e++) conservedSink[p] += (fq[p][e] + eps) * (kOut[e] + eps);
        for (int m = 0; m < ms; m++) {
            for (int e = 0; e < es; e++) conservedSource[m] += (fk[m][e] + eps) * (qIn[e] + eps);
            conservedSource[m] = Math.clamp(conservedSource[m], -1.0, 1.0);
        }
        double[] allocation = new double[ps];
        for (int p = 0; p < ps; p++) allocation[p] = sigmoid(conservedSink[p] * ps / ms);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double c : conservedSource) max = Math.max(max, c);
        for (double c : conservedSource) sum += Math.exp(c - max);
        double[] competition = new double[ms];
        for (int m = 0; m < ms; m++) competition[m] = Math.exp(conservedSource[m] - max) / sum * ms;
        double[][] out = new double[ps][fs];
        for (int p = 0; p < ps; p++)
            for (int f = 0; f < fs; f++) {
                double acc = 0;
                for (int m = 0; m < ms; m++) {
                    double dot = 0;
                    for (int e = 0; e < es; e++) dot += fq[p][e] * sinkIncoming[p] * fk[m][e];
                    acc += dot * v[m][f] * competition[m];
                }
                out[p][f] = acc * allocation[p];
            }
        return out;
    }
}
