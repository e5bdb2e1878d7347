package einc.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The extent of every index of a cascade once it is bound to tensors (LANGUAGE.md §3): from the
 * inputs' shapes, from explicit values ({@code --shape}), and through {@code split}. Binding checks
 * every input shape against the declaration and reports a conflict naming both sides.
 */
public final class Extents {

    private final Map<String, Long> values;

    private Extents(Map<String, Long> values) {
        this.values = values;
    }

    /** Every index's extent, in the cascade's index order. */
    public Map<String, Long> values() {
        return values;
    }

    public long of(String index) {
        Long v = values.get(index);
        if (v == null) throw new IllegalArgumentException("no extent for index '" + index + "'");
        return v;
    }

    /** The shape of {@code t}: its ranks' extents, R + 1 at an iterative rank. */
    public int[] shape(TensorDecl t) {
        int[] shape = new int[t.arity()];
        for (int i = 0; i < shape.length; i++) {
            Rank r = t.ranks().get(i);
            shape[i] = Math.toIntExact(of(r.index()) + (r.iterative() ? 1 : 0));
        }
        return shape;
    }

    /** Extents given by index name alone, for tests and tools that know them all. */
    public static Extents of(Map<String, Long> values) {
        return new Extents(new LinkedHashMap<>(values));
    }

    /**
     * Binds the extents of {@code c} from {@code inputShapes} (by input name; inputs may be left out)
     * and {@code explicit} values (by index name, or extent name in upper case).
     *
     * @throws EincException for a shape that contradicts the declaration or another input, an
     *     explicit value for an unknown index, or an extent that nothing determines
     */
    public static Extents bind(Cascade c, Map<String, int[]> inputShapes, Map<String, Long> explicit) {
        Binder b = new Binder(c);
        for (Map.Entry<String, Long> e : explicit.entrySet()) b.explicit(e.getKey(), e.getValue());
        for (Map.Entry<String, int[]> e : inputShapes.entrySet()) b.input(e.getKey(), e.getValue());
        return b.finish(inputShapes);
    }

    /** Evaluates a constant index expression (no index variables) under known extents. */
    public static long evalConstant(IndexExpr e, Map<String, Long> extents) {
        return evalConstant(e, ix -> {
            Long v = extents.get(ix);
            if (v == null) throw new IllegalStateException("extent of '" + ix + "' not known yet");
            return v;
        });
    }

    /**
     * Evaluates a constant index expression (no index variables), asking {@code extentOf} for the
     * extents it names; floor division and modulo by 0 give 0, as everywhere in einc.
     */
    public static long evalConstant(IndexExpr e, java.util.function.ToLongFunction<String> extentOf) {
        return switch (e) {
            case IndexExpr.Lit(long v) -> v;
            case IndexExpr.Ext(String ix) -> extentOf.applyAsLong(ix);
            case IndexExpr.Idx(String n) -> throw new IllegalArgumentException("index '" + n + "' in a constant expression");
            case IndexExpr.INeg(IndexExpr a) -> -evalConstant(a, extentOf);
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> {
                long x = evalConstant(a, extentOf), y = evalConstant(b, extentOf);
                yield switch (op) {
                    case ADD -> x + y;
                    case SUB -> x - y;
                    case MUL -> x * y;
                    case DIV -> y == 0 ? 0 : Math.floorDiv(x, y);
                    case MOD -> y == 0 ? 0 : Math.floorMod(x, y);
                };
            }
        };
    }

    /** Collects what each source says of each extent class and checks that they agree. */
    private static final class Binder {
        private final Cascade c;
        private final Map<String, IndexDef> defs = new LinkedHashMap<>();
        /** Class representative -> value. */
        private final Map<String, Long> classValue = new LinkedHashMap<>();
        /** Class representative -> who gave the value ("K", "--shape"). */
        private final Map<String, String> classSource = new LinkedHashMap<>();
        /** Class representative -> the index name the source used. */
        private final Map<String, String> classIndex = new LinkedHashMap<>();
        private final List<Diagnostic> errors = new ArrayList<>();
        /** Split part -> the value --shape gave it, which must agree with the split. */
        private final Map<String, Long> explicitParts = new LinkedHashMap<>();

        Binder(Cascade c) {
            this.c = c;
            for (IndexDef d : c.indices()) defs.put(d.name(), d);
        }

        String rep(String index) {
            IndexDef d = defs.get(index);
            return d != null && d.rule() instanceof IndexDef.Bound(String r) ? r : index;
        }

        void explicit(String name, long value) {
            String index = defs.containsKey(name) ? name : name.toLowerCase(Locale.ROOT);
            if (!defs.containsKey(index)) {
                errors.add(Diagnostic.error(null, Code.BAD_ARGUMENT,
                        "cascade '" + c.name() + "' has no index '" + name + "'")
                        .withHint("its indices are " + String.join(", ", defs.keySet())));
                return;
            }
            if (value < 0) {
                errors.add(Diagnostic.error(null, Code.BAD_ARGUMENT, "extent of index '" + index + "' cannot be negative, got " + value));
                return;
            }
            give(index, value, "--shape", null);
        }

        void input(String name, int[] shape) {
            TensorDecl t = c.inputs().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
            if (t == null) {
                errors.add(Diagnostic.error(null, Code.SHAPE_MISMATCH,
                        "cascade '" + c.name() + "' has no input '" + name + "'")
                        .withHint("its inputs are " + String.join(", ", c.inputs().stream().map(TensorDecl::name).toList())));
                return;
            }
            if (shape.length != t.arity()) {
                errors.add(Diagnostic.error(t.span(), Code.SHAPE_MISMATCH,
                        "input '" + name + "' has " + t.arity() + " ranks " + t.indexNames()
                                + " but the array given has " + shape.length + " " + Arrays.toString(shape))
                        .withHint("give an array of " + t.arity() + " ranks " + t.indexNames() + ", in that order"));
                return;
            }
            for (int i = 0; i < shape.length; i++) {
                String ix = t.ranks().get(i).index();
                if (shape[i] < 0) {
                    errors.add(Diagnostic.error(t.span(), Code.SHAPE_MISMATCH,
                            "input '" + name + "' has extent " + shape[i] + " at rank '" + ix + "'"));
                    continue;
                }
                IndexDef d = defs.get(ix);
                if (d != null && d.rule() instanceof IndexDef.Bound)
                    give(ix, shape[i], "rank " + (i + 1) + " of '" + name + "'", t.span());
            }
        }

        void give(String index, long value, String source, Span span) {
            String r = rep(index);
            IndexDef d = defs.get(r);
            if (d != null && !(d.rule() instanceof IndexDef.Bound)) { // split parts are checked in finish()
                explicitParts.put(r, value);
                return;
            }
            Long old = classValue.get(r);
            if (old == null) {
                classValue.put(r, value);
                classSource.put(r, source);
                classIndex.put(r, index);
            } else if (old != value) {
                String other = classIndex.get(r);
                String one = index.equals(other) ? "every rank indexed by '" + index + "' has one extent"
                        : "'" + index + "' and '" + other + "' index a common rank, so they have one extent";
                errors.add(Diagnostic.error(span, Code.EXTENT_CONFLICT, index, value, describe(source),
                        old, describe(classSource.get(r)) + sameAs(index, other))
                        .withHint(source.equals("--shape") && classSource.get(r).equals("--shape")
                                ? one + ": give them one value"
                                : source.equals("--shape") || classSource.get(r).equals("--shape")
                                ? "give --shape " + index + "=N only with the extent the input arrays have, or leave it out"
                                : one + ": give arrays that agree on it"));
            }
        }

        static String describe(String source) {
            return source.equals("--shape") ? "--shape" : source;
        }

        static String sameAs(String index, String other) {
            return index.equals(other) ? "" : " (as index '" + other + "')";
        }

        Extents finish(Map<String, int[]> inputShapes) {
            Map<String, Long> out = new LinkedHashMap<>();
            // Resolve split parts in order until nothing changes: tiles may use other extents.
            boolean changed = true;
            while (changed) {
                changed = false;
                for (IndexDef d : defs.values()) {
                    if (out.containsKey(d.name())) continue;
                    Long v = value(d, out);
                    if (v != null) {
                        out.put(d.name(), v);
                        changed = true;
                    }
                }
            }
            for (IndexDef d : defs.values()) {
                if (!out.containsKey(d.name()) && errors.stream().noneMatch(e -> e.code() == Code.EXTENT_CONFLICT || e.code() == Code.SHAPE_MISMATCH)) {
                    errors.add(Diagnostic.error(d.span(), Code.EXTENT_UNDETERMINED, d.name())
                            .withHint("give it with --shape " + d.name() + "=N, or read an input that has this rank"));
                }
            }
            if (errors.isEmpty()) {
                // Inputs at split ranks, and explicit values of split parts, must agree with the split.
                for (Map.Entry<String, int[]> e : inputShapes.entrySet()) {
                    TensorDecl t = c.inputs().stream().filter(x -> x.name().equals(e.getKey())).findFirst().orElseThrow();
                    for (int i = 0; i < t.arity(); i++) {
                        String ix = t.ranks().get(i).index();
                        long want = out.get(ix);
                        if (e.getValue()[i] != want)
                            errors.add(Diagnostic.error(t.span(), Code.EXTENT_CONFLICT, ix, e.getValue()[i], "rank " + (i + 1) + " of '" + t.name() + "'", want, "the split of '" + ix + "'")
                                    .withHint("a split part's extent follows from the split: give an array with " + want + " at this rank"));
                    }
                }
                explicitParts.forEach((ix, given) -> {
                    if (given.longValue() != out.get(ix))
                        errors.add(Diagnostic.error(null, Code.EXTENT_CONFLICT, ix, given, "--shape", out.get(ix), "the split of '" + parent(ix) + "'"));
                });
            }
            if (errors.isEmpty()) checkDivisors(out);
            if (!errors.isEmpty()) throw new EincException(errors);
            return new Extents(out);
        }

        /**
         * Every floor division and modulo in an index position divides by a constant expression of
         * extents (LANGUAGE.md §5); once the extents are known, none of them may be 0.
         */
        private void checkDivisors(Map<String, Long> extents) {
            java.util.Set<String> reported = new java.util.LinkedHashSet<>();
            for (Einsum s : c.statements()) {
                List<Expr.Access> accesses = new ArrayList<>();
                accesses.add(s.target());
                Exprs.forEach(s.body(), x -> { if (x instanceof Expr.Access a) accesses.add(a); });
                if (s.where() != null) Exprs.forEach(s.where(), x -> { if (x instanceof Expr.Access a) accesses.add(a); });
                for (Expr.Access a : accesses)
                    for (IndexExpr ix : a.indices()) checkDivisors(ix, extents, s.span(), reported);
            }
        }

        private void checkDivisors(IndexExpr e, Map<String, Long> extents, Span span, java.util.Set<String> reported) {
            switch (e) {
                case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> {
                    checkDivisors(a, extents, span, reported);
                    checkDivisors(b, extents, span, reported);
                    if ((op == IndexExpr.IOp.DIV || op == IndexExpr.IOp.MOD) && Exprs.indices(b).isEmpty()
                            && evalConstant(b, extents) == 0 && reported.add(Printer.print(e))) {
                        List<String> named = new ArrayList<>();
                        Exprs.collectExtents(b, named);
                        String values = named.stream().map(ix -> ix.toUpperCase(Locale.ROOT) + " = " + extents.get(ix))
                                .reduce((x, y) -> x + ", " + y).map(v -> " with " + v).orElse("");
                        errors.add(Diagnostic.error(span, Code.DIVISION_BY_ZERO, Printer.print(e), Printer.print(b), values)
                                .withHint("choose extents for which '" + Printer.print(b) + "' is not 0"));
                    }
                }
                case IndexExpr.INeg(IndexExpr a) -> checkDivisors(a, extents, span, reported);
                default -> {}
            }
        }

        /** The index that split part {@code ix} partitions. */
        private String parent(String ix) {
            return switch (defs.get(ix).rule()) {
                case IndexDef.SplitInner(String parent, IndexExpr tile) -> parent;
                case IndexDef.SplitOuter(String parent, IndexExpr tile) -> parent;
                case IndexDef.Bound b -> ix;
            };
        }

        private Long value(IndexDef d, Map<String, Long> known) {
            Map<String, Long> ext = new LinkedHashMap<>(known);
            try {
                return switch (d.rule()) {
                    case IndexDef.Bound(String r) -> r.equals(d.name()) ? classValue.get(r) : known.get(r);
                    case IndexDef.SplitInner(String parent, IndexExpr tile) -> positive(d, evalConstant(tile, ext));
                    case IndexDef.SplitOuter(String parent, IndexExpr tile) -> {
                        Long m = known.get(parent);
                        if (m == null) yield null;
                        long t = positive(d, evalConstant(tile, ext));
                        yield (m + t - 1) / t;
                    }
                };
            } catch (IllegalStateException notYet) {
                return null;
            }
        }

        private long positive(IndexDef d, long tile) {
            if (tile <= 0) {
                errors.add(Diagnostic.error(d.span(), Code.BAD_SPLIT, "split tile of '" + d.name() + "' is " + tile + ", it must be positive"));
                return 1;
            }
            return tile;
        }
    }
}
