package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.EincException;
import einc.ir.Extents;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;

import java.util.Map;
import java.util.TreeMap;

/**
 * The extent of every index of a cascade from a partial table of given extents: split parts are
 * derived from their parent ({@code M1 = ceil(M / M0)}, {@code M0 = T}), and an index missing from
 * the table takes the extent of its class representative.
 */
public final class ExtentTable {

    private final Cascade cascade;
    private final Map<String, Long> given;
    private final Map<String, Long> resolved = new TreeMap<>();
    private final Long fallback;

    private ExtentTable(Cascade cascade, Map<String, Long> given, Long fallback) {
        this.cascade = cascade;
        this.given = given;
        this.fallback = fallback;
    }

    /** The same table, where an extent nothing determines is {@code extent} instead of an error. */
    public ExtentTable orElse(long extent) {
        return new ExtentTable(cascade, given, extent);
    }

    /** A table over {@code cascade} with {@code given} extents keyed by index name ({@code "m" -> 1024}). */
    public static ExtentTable of(Cascade cascade, Map<String, Long> given) {
        return new ExtentTable(cascade, Map.copyOf(given), null);
    }

    /** Whether the extent of {@code index} can be found. */
    public boolean knows(String index) {
        try {
            of(index);
            return true;
        } catch (EincException e) {
            return false;
        }
    }

    /** The extent of {@code index}; an {@link EincException} ({@code extent-undetermined}) when it cannot be found. */
    public long of(String index) {
        Long known = resolved.get(index);
        if (known != null) return known;
        long value = resolve(index, 0);
        resolved.put(index, value);
        return value;
    }

    private long resolve(String index, int depth) {
        Long g = given.get(index);
        if (g != null) return g;
        if (depth > 16) throw EincException.plain(Code.EXTENT_UNDETERMINED, index);
        IndexDef def = cascade.index(index).orElse(null);
        if (def != null) {
            switch (def.rule()) {
                case IndexDef.SplitInner(String parent, IndexExpr tile) -> {
                    return eval(tile, depth);
                }
                case IndexDef.SplitOuter(String parent, IndexExpr tile) -> {
                    long t = eval(tile, depth);
                    long whole = resolve(parent, depth + 1);
                    return t <= 0 ? 0 : (whole + t - 1) / t;
                }
                case IndexDef.Bound(String rep) -> {
                    if (!rep.equals(index)) return resolve(rep, depth + 1);
                }
            }
        }
        if (fallback != null && def != null && def.rule() instanceof IndexDef.Bound) return fallback;
        for (var s : cascade.splits()) {
            if (s.inner().equals(index)) return eval(s.tile(), depth);
            if (s.outer().equals(index)) {
                long t = eval(s.tile(), depth);
                return t <= 0 ? 0 : (resolve(s.parent(), depth + 1) + t - 1) / t;
            }
        }
        if (fallback != null) return fallback;
        throw EincException.plain(Code.EXTENT_UNDETERMINED, index);
    }

    /** Evaluates a constant index expression of extents and literals (the frontend allows no index in one). */
    private long eval(IndexExpr e, int depth) {
        return Extents.evalConstant(e, i -> resolve(i, depth + 1));
    }
}
