package einc.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.StringJoiner;

/**
 * What {@code einc run} tells its user: the cascade and its extents, where each input came from,
 * the parameters, the backend, the time (and GFLOP/s when the FLOPs are known), and each output's
 * shape and checksums. Every line but the time is deterministic.
 */
record Summary(
        String cascade,
        String file,
        Map<String, Long> extents,
        List<Array> inputs,
        Map<String, Double> params,
        String backend,
        double seconds,
        OptionalLong flops,
        List<Array> outputs) {

    /** An input or output: its name and shape, where it came from or went, and its checksums. */
    record Array(String name, int[] shape, String where, double sum, double maxAbs) {

        static Array of(String name, einc.ir.Dense d, String where) {
            double sum = 0, maxAbs = 0;
            for (double v : d.data()) {
                sum += v;
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            return new Array(name, d.shape().clone(), where, sum, maxAbs);
        }
    }

    String render() {
        StringBuilder sb = new StringBuilder();
        line(sb, "cascade", cascade + " (" + file + ")");
        StringJoiner ext = new StringJoiner(" ");
        extents.forEach((k, v) -> ext.add(k + "=" + v));
        line(sb, "extents", ext.toString());
        for (Array a : inputs) line(sb, "input", array(a));
        if (!params.isEmpty()) {
            StringJoiner ps = new StringJoiner(" ");
            params.forEach((k, v) -> ps.add(k + "=" + number(v)));
            line(sb, "params", ps.toString());
        }
        line(sb, "backend", backend);
        String time = String.format(Locale.ROOT, "%.3f s", seconds);
        if (flops.isPresent()) {
            double gflop = flops.getAsLong() / 1e9;
            time += String.format(Locale.ROOT, ", %.3f GFLOP, %.2f GFLOP/s", gflop, seconds > 0 ? gflop / seconds : Double.POSITIVE_INFINITY);
        }
        line(sb, "time", time);
        for (Array a : outputs) line(sb, "output", array(a));
        return sb.toString();
    }

    private static String array(Array a) {
        return a.name() + " " + Arrays.toString(a.shape()) + "  sum " + number(a.sum()) + "  max|x| " + number(a.maxAbs())
                + (a.where() == null ? "" : "  " + a.where());
    }

    /** Six significant digits, without trailing zeros: {@code 0.125}, {@code 1}, {@code -3.14159e-05}. */
    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        String s = String.format(Locale.ROOT, "%.6g", v);
        int e = s.indexOf('e');
        String mantissa = e < 0 ? s : s.substring(0, e);
        if (mantissa.contains(".")) mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
        return e < 0 ? mantissa : mantissa + s.substring(e);
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append(String.format(Locale.ROOT, "%-8s %s%n", key, value));
    }
}
