package einc.cli;

import einc.ir.Code;
import einc.ir.EincException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses the {@code NAME=VALUE} options of {@code einc run}: {@code --shape p=1024,m=512} and {@code --param scale=0.125}. */
final class Assignments {

    private Assignments() {}

    /** Extents by index name from every {@code --shape} value, each a comma-separated list of {@code INDEX=N}. */
    static Map<String, Long> shapes(List<String> values) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String value : values) {
            for (String part : value.split(",", -1)) {
                String[] kv = split(part, "--shape", "INDEX=N[,INDEX=N...], e.g. --shape p=1024,m=1024");
                long n;
                try {
                    n = Long.parseLong(kv[1].strip());
                } catch (NumberFormatException e) {
                    throw bad("malformed --shape '" + part + "': the extent '" + kv[1] + "' is not an integer");
                }
                if (n < 0) throw bad("malformed --shape '" + part + "': an extent cannot be negative");
                Long old = out.put(kv[0], n);
                if (old != null && old != n) throw bad("--shape gives index '" + kv[0] + "' two extents, " + old + " and " + n);
            }
        }
        return out;
    }

    /** Parameter values by name from every {@code --param NAME=VALUE}; {@code inf} and {@code -inf} are accepted. */
    static Map<String, Double> params(List<String> values) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String value : values) {
            String[] kv = split(value, "--param", "NAME=VALUE, e.g. --param scale=0.125");
            double v = number(kv[1].strip());
            if (Double.isNaN(v)) throw bad("malformed --param '" + value + "': '" + kv[1] + "' is not a number");
            Double old = out.put(kv[0], v);
            if (old != null && old != v) throw bad("--param gives '" + kv[0] + "' two values, " + old + " and " + v);
        }
        return out;
    }

    private static String[] split(String part, String option, String expected) {
        int eq = part.indexOf('=');
        String name = eq < 0 ? "" : part.substring(0, eq).strip();
        if (eq < 0 || name.isEmpty() || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw bad("malformed " + option + " '" + part + "': expected " + expected);
        }
        return new String[] {name, part.substring(eq + 1)};
    }

    private static double number(String s) {
        switch (s) {
            case "inf", "+inf" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-inf" -> {
                return Double.NEGATIVE_INFINITY;
            }
            default -> {
                if (!s.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) return Double.NaN;
                return Double.parseDouble(s);
            }
        }
    }

    private static EincException bad(String message) {
        return EincException.plain(Code.BAD_ARGUMENT, message);
    }
}
