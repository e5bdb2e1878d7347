package einc.optimizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A polynomial in extents with non-negative integer coefficients, such as {@code 2·P·M + 3·P}:
 * how footprints, traffic and FLOPs are written before extents are known. A monomial is a sorted
 * list of index names (each factor is that index's extent); the empty monomial is the constant.
 */
public record Poly(Map<List<String>, Long> terms) {

    /** Higher degree first, then by factor names. */
    private static final Comparator<List<String>> MONOMIAL_ORDER = (a, b) -> {
        if (a.size() != b.size()) return Integer.compare(b.size(), a.size());
        for (int i = 0; i < a.size(); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) return c;
        }
        return 0;
    };

    public static final Poly ZERO = new Poly(Map.of());
    public static final Poly ONE = constant(1);

    public Poly {
        TreeMap<List<String>, Long> sorted = new TreeMap<>(MONOMIAL_ORDER);
        terms.forEach((k, v) -> {
            if (v != 0) sorted.merge(List.copyOf(k), v, Long::sum);
        });
        terms = java.util.Collections.unmodifiableMap(sorted);
    }

    public static Poly constant(long c) {
        return new Poly(Map.of(List.of(), c));
    }

    /** The product of the extents of {@code indices} (repeats allowed). */
    public static Poly product(List<String> indices) {
        List<String> sorted = new ArrayList<>(indices);
        sorted.sort(null);
        return new Poly(Map.of(sorted, 1L));
    }

    public boolean isZero() {
        return terms.isEmpty();
    }

    public Poly plus(Poly o) {
        Map<List<String>, Long> sum = new TreeMap<>(MONOMIAL_ORDER);
        sum.putAll(terms);
        o.terms.forEach((k, v) -> sum.merge(k, v, Long::sum));
        return new Poly(sum);
    }

    public Poly times(long c) {
        Map<List<String>, Long> out = new TreeMap<>(MONOMIAL_ORDER);
        terms.forEach((k, v) -> out.put(k, Math.multiplyExact(v, c)));
        return new Poly(out);
    }

    public Poly times(Poly o) {
        Poly out = ZERO;
        for (var a : terms.entrySet()) {
            for (var b : o.terms.entrySet()) {
                List<String> m = new ArrayList<>(a.getKey());
                m.addAll(b.getKey());
                m.sort(null);
                out = out.plus(new Poly(Map.of(m, Math.multiplyExact(a.getValue(), b.getValue()))));
            }
        }
        return out;
    }

    /** The value for the extents of {@code table}. */
    public long evaluate(ExtentTable table) {
        long sum = 0;
        for (var t : terms.entrySet()) {
            long v = t.getValue();
            for (String i : t.getKey()) v = Math.multiplyExact(v, table.of(i));
            sum = Math.addExact(sum, v);
        }
        return sum;
    }

    /** Whether every factor's extent is known to {@code table}. */
    public boolean evaluable(ExtentTable table) {
        for (List<String> m : terms.keySet()) for (String i : m) if (!table.knows(i)) return false;
        return true;
    }

    /** {@code 2·M·P + 3·P}; extents in upper case, {@code 0} when empty. */
    @Override
    public String toString() {
        return render("·");
    }

    /** Like {@link #toString()} with {@code times} between factors ({@code "*"} for tools). */
    public String render(String times) {
        if (terms.isEmpty()) return "0";
        StringBuilder sb = new StringBuilder();
        for (var t : terms.entrySet()) {
            if (!sb.isEmpty()) sb.append(" + ");
            List<String> factors = new ArrayList<>();
            if (t.getValue() != 1 || t.getKey().isEmpty()) factors.add(Long.toString(t.getValue()));
            for (String i : t.getKey()) factors.add(i.toUpperCase(java.util.Locale.ROOT));
            sb.append(String.join(times, factors));
        }
        return sb.toString();
    }
}
