package einc.bench;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * One benchmark case, named like {@code 8x4096x64}, {@code 8x4096x64-causal} or
 * {@code 8x4096x64-sigmoid} (heads x sequence length x head size, B=1): its inputs in
 * {@code [B, H, N, D]} row-major order (the same seed everywhere), its FLOP count, its example
 * cascade, and a float64 reference on sampled query rows to check any kernel's output against.
 */
public record Workload(int b, int h, int n, int d, String variant) {

    /** Parses a case name. */
    public static Workload of(String name) {
        String[] parts = name.split("-", 2);
        String[] dims = parts[0].split("x");
        return new Workload(1, Integer.parseInt(dims[0]), Integer.parseInt(dims[1]), Integer.parseInt(dims[2]),
                parts.length > 1 ? parts[1] : "softmax");
    }

    public boolean causal() {
        return variant.equals("causal");
    }

    public int size() {
        return b * h * n * d;
    }

    /** 4 B H N^2 D, halved for causal. */
    public double flops() {
        return 4.0 * b * h * n * (double) n * d * (causal() ? 0.5 : 1.0);
    }

    /** Q, K and V: standard normal, seed 42, in this order. */
    public float[][] inputs() {
        Random rnd = new Random(42);
        float[][] qkv = new float[3][size()];
        for (float[] a : qkv)
            for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        return qkv;
    }

    /** The example file of this variant under {@code examples/attention/}. */
    public String exampleFile() {
        return switch (variant) {
            case "softmax" -> "softmax.ein";
            case "causal" -> "causal.ein";
            case "sigmoid" -> "sigmoid.ein";
            case "softplus" -> "softplus_l1.ein";
            default -> throw new IllegalArgumentException("unknown variant " + variant);
        };
    }

    /** The example cascade of this variant, read from {@code examples/attention/} above the working directory. */
    public Cascade cascade() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("examples/attention"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("no examples/attention folder above " + Path.of("").toAbsolutePath());
        Path file = p.resolve("examples/attention").resolve(exampleFile());
        try {
            return Frontend.compile(new Source(file.toString(), Files.readString(file))).getFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The relative L2 error of {@code out} ({@code [B, H, N, D]}) against a float64 reference over
     * 16 query rows of every head (the first, the last and 14 spread between).
     */
    public double error(float[] out, float[] q, float[] k, float[] v) {
        double num = 0, den = 0;
        double scale = 1 / Math.sqrt(d);
        double[] s = new double[n];
        for (int head = 0; head < b * h; head++) {
            int base = head * n * d;
            for (int r = 0; r < 16; r++) {
                int p = (int) ((long) r * (n - 1) / 15);
                int end = causal() ? p + 1 : n;
                double max = Double.NEGATIVE_INFINITY;
                for (int m = 0; m < end; m++) {
                    double dot = 0;
                    for (int e = 0; e < d; e++) dot += (double) q[base + p * d + e] * k[base + m * d + e];
                    s[m] = dot * scale;
                    max = Math.max(max, s[m]);
                }
                double sum = 0;
                for (int m = 0; m < end; m++) {
                    s[m] = switch (variant) {
                        case "softmax", "causal" -> Math.exp(s[m] - max);
                        case "sigmoid" -> 1 / (1 + Math.exp(-(s[m] - Math.log(n))));
                        case "softplus" -> Math.log1p(Math.exp(s[m]));
                        default -> throw new IllegalArgumentException("unknown variant " + variant);
                    };
                    sum += s[m];
                }
                double norm = variant.equals("sigmoid") ? 1 : sum;
                for (int f = 0; f < d; f++) {
                    double acc = 0;
                    for (int m = 0; m < end; m++) acc += s[m] * v[base + m * d + f];
                    double want = acc / norm, diff = out[base + p * d + f] - want;
                    num += diff * diff;
                    den += want * want;
                }
            }
        }
        return Math.sqrt(num / den);
    }

    /** Throws when {@code out} is not within {@code tolerance} (relative L2) of the reference. */
    public void check(String who, float[] out, float[] q, float[] k, float[] v, double tolerance) {
        double err = error(out, q, k, v);
        if (!(err < tolerance))
            throw new IllegalStateException(who + " on " + this + ": relative L2 error " + err + " exceeds " + tolerance);
        System.out.printf("%s on %s: relative L2 error %.2e (sampled rows)%n", who, this, err);
    }

    /** {@code [B, H, N, D]} to {@code [B, N, H*D]} (MultiHeadAttention's layout), or back when {@code inverse}. */
    public float[] transposeHeads(float[] x, boolean inverse) {
        float[] y = new float[x.length];
        for (int bb = 0; bb < b; bb++)
            for (int hh = 0; hh < h; hh++)
                for (int p = 0; p < n; p++) {
                    int bhnd = ((bb * h + hh) * n + p) * d, bnhd = ((bb * n + p) * h + hh) * d;
                    if (inverse) System.arraycopy(x, bnhd, y, bhnd, d);
                    else System.arraycopy(x, bhnd, y, bnhd, d);
                }
        return y;
    }
}
