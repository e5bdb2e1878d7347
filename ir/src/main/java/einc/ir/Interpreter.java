package einc.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The float64 reference interpreter: the meaning of a cascade (LANGUAGE.md §8) and the oracle of
 * every test. Statements run in order; the statements of a recurrence run as one sequential loop
 * over their iterative rank (§7); absent entries follow docs/SEMANTICS.md.
 *
 * <p>Each statement is compiled once into a tree of closures that evaluate a whole row at a
 * time: every index of the iteration space but the innermost is fixed, and the innermost runs
 * over a chunk of its range. That keeps the oracle fast enough for attention at P = M = 256.
 */
public final class Interpreter {

    /** Longest row a closure evaluates at once. */
    private static final int CHUNK = 512;

    private Interpreter() {}

    /**
     * The value of every parameter: {@code given} where present, else its default.
     *
     * @throws EincException for a given name that is not a parameter, or a parameter with no value
     */
    public static Map<String, Double> params(Cascade c, Extents x, Map<String, Double> given) {
        List<Diagnostic> errors = new ArrayList<>();
        for (String name : given.keySet())
            if (c.param(name).isEmpty())
                errors.add(Diagnostic.error(null, Code.UNKNOWN_PARAM, c.name(), name)
                        .withHint(c.params().isEmpty() ? "it has no parameters"
                                : "its parameters are " + String.join(", ", c.params().stream().map(Param::name).toList())));
        Set<String> unknown = new HashSet<>(); // parameters without a value, given or default
        for (Param p : c.params())
            if (!given.containsKey(p.name()) && p.defaultValue() == null) unknown.add(p.name());
        Map<String, Double> out = new LinkedHashMap<>();
        for (Param p : c.params()) {
            if (given.containsKey(p.name())) {
                out.put(p.name(), given.get(p.name()));
            } else if (p.defaultValue() != null) {
                if (readsAny(p.defaultValue(), unknown)) { // a parameter it reads has no value: reported
                    unknown.add(p.name());
                    continue;
                }
                Compiler k = new Compiler(c, x, out, Map.of());
                k.begin(List.of(), -1);
                Row r = k.value(p.defaultValue());
                Frame f = new Frame(0);
                f.len = 1;
                double[] v = new double[1];
                r.eval(f, v, new boolean[1], new boolean[1]);
                out.put(p.name(), v[0]);
            } else {
                errors.add(Diagnostic.error(p.span(), Code.MISSING_PARAM, p.name())
                        .withHint("give it with --param " + p.name() + "=VALUE"));
            }
        }
        if (!errors.isEmpty()) throw new EincException(errors);
        return out;
    }

    /** Whether {@code e} reads a parameter in {@code names}. */
    private static boolean readsAny(Expr e, Set<String> names) {
        boolean[] reads = {false};
        Exprs.forEach(e, sub -> {
            if (sub instanceof Expr.ParamRef(String n) && names.contains(n)) reads[0] = true;
        });
        return reads[0];
    }

    /**
     * Runs {@code c} on {@code inputs} (one per declared input, shaped as {@code x} says) and
     * returns every output, absent entries as 0.
     */
    public static Map<String, Dense> run(Cascade c, Extents x, Map<String, Dense> inputs, Map<String, Double> params) {
        Map<String, Store> stores = new LinkedHashMap<>();
        for (TensorDecl t : c.inputs()) {
            Dense d = inputs.get(t.name());
            if (d == null) throw new IllegalArgumentException("no value for input '" + t.name() + "'");
            int[] want = x.shape(t);
            if (!Arrays.equals(want, d.shape()))
                throw new IllegalArgumentException("input '" + t.name() + "' has shape " + Arrays.toString(d.shape())
                        + " but its extents say " + Arrays.toString(want));
            stores.put(t.name(), new Store(d.shape(), d.data(), null));
        }
        for (TensorDecl t : c.outputs()) stores.put(t.name(), Store.absent(x.shape(t)));
        for (TensorDecl t : c.intermediates()) stores.put(t.name(), Store.absent(x.shape(t)));

        Compiler compiler = new Compiler(c, x, params, stores);
        List<String> iterative = c.iterativeIndices();
        List<Einsum> body = c.statements();
        int i = 0;
        while (i < body.size()) {
            Einsum s = body.get(i);
            String r = recurrenceIndex(c, s, iterative);
            if (r == null) {
                compiler.statement(s, null).run(-1);
                i++;
                continue;
            }
            int j = i;
            List<Step> loop = new ArrayList<>();
            while (j < body.size() && r.equals(recurrenceIndex(c, body.get(j), iterative))) loop.add(compiler.statement(body.get(j++), r));
            long steps = x.of(r);
            for (int step = 0; step < steps; step++)
                for (Step st : loop) st.run(step);
            i = j;
        }
        Map<String, Dense> out = new LinkedHashMap<>();
        for (TensorDecl t : c.outputs()) {
            Store s = stores.get(t.name());
            double[] data = s.data.clone();
            for (int k = 0; k < data.length; k++) if (!s.present[k]) data[k] = 0.0;
            out.put(t.name(), new Dense(s.shape, data));
        }
        return out;
    }

    /** The iterative index whose loop {@code s} belongs to, or null. */
    private static String recurrenceIndex(Cascade c, Einsum s, List<String> iterative) {
        if (s.init()) return null;
        List<String> space = c.iterationSpace(s);
        for (String r : iterative) if (space.contains(r)) return r;
        return null;
    }

    /** A tensor's values and which of them are present (null: all present). */
    private record Store(int[] shape, double[] data, boolean[] present) {
        static Store absent(int[] shape) {
            int n = 1;
            for (int d : shape) n = Math.multiplyExact(n, d);
            return new Store(shape, new double[n], new boolean[n]);
        }
    }

    /**
     * Index values of the current row: {@code env[inner]} is the innermost index's first value,
     * and the row runs {@code len} values from there.
     */
    private static final class Frame {
        final long[] env;
        int len;

        Frame(int slots) {
            env = new long[Math.max(slots, 1)];
        }
    }

    /**
     * A compiled expression evaluated over a row: writes {@code out[0..len)}, and sets
     * {@code missing[j]} where the point does not exist (an access out of range) and
     * {@code absent[j]} where it read an absent entry. Conditions yield 1 or 0.
     */
    @FunctionalInterface
    private interface Row {
        void eval(Frame f, double[] out, boolean[] missing, boolean[] absent);
    }

    /** A compiled integer index expression at one point. */
    @FunctionalInterface
    private interface Int {
        long eval(long[] env);
    }

    /** One compiled statement; {@code run(step)} executes it whole (step -1) or at one step of its recurrence. */
    @FunctionalInterface
    private interface Step {
        void run(int step);
    }

    /** Turns IR expressions into row closures over a frame whose slots are the statement's indices. */
    private static final class Compiler {
        private final Cascade c;
        private final Extents x;
        private final Map<String, Double> params;
        private final Map<String, Store> stores;
        private Map<String, Integer> slots = Map.of();
        private int inner = -1;

        Compiler(Cascade c, Extents x, Map<String, Double> params, Map<String, Store> stores) {
            this.c = c;
            this.x = x;
            this.params = params;
            this.stores = stores;
        }

        void begin(List<String> order, int innerSlot) {
            slots = new LinkedHashMap<>();
            for (String ix : order) slots.put(ix, slots.size());
            inner = innerSlot;
        }

        Step statement(Einsum s, String recurrence) {
            List<String> space = c.iterationSpace(s);
            List<String> reduced = s.reducedIndices();
            List<String> free = new ArrayList<>(space);
            free.removeAll(reduced);
            List<String> order = new ArrayList<>(free);
            order.addAll(reduced);
            int nFree = free.size(), n = order.size();
            int in = n - 1; // the innermost slot runs along the row; -1 when the space is empty
            begin(order, in);
            long[] extent = new long[n];
            for (int k = 0; k < n; k++) extent[k] = x.of(order.get(k));
            int recSlot = recurrence == null ? -1 : slots.get(recurrence);

            TensorDecl td = c.tensorOrThrow(s.tensor());
            Store target = stores.get(s.tensor());
            Int[] pos = new Int[td.arity()];
            for (int k = 0; k < pos.length; k++)
                pos[k] = s.init() && td.ranks().get(k).iterative() ? env -> 0 : index(s.target().indices().get(k));
            int[] strides = strides(target.shape);
            Row body = value(s.body());
            Row where = s.where() == null ? null : value(s.where());
            ReduceOp op = s.reduceOp();
            boolean innerReduced = in >= nFree;
            Frame f = new Frame(n);
            long[] env = f.env;
            double[] vals = new double[CHUNK], conds = new double[CHUNK];
            boolean[] miss = new boolean[CHUNK], abs = new boolean[CHUNK], cmiss = new boolean[CHUNK], cabs = new boolean[CHUNK];

            return step -> {
                long[] lo = new long[n], hi = extent.clone();
                if (recSlot >= 0) {
                    lo[recSlot] = step;
                    hi[recSlot] = step + 1;
                }
                for (int k = 0; k < n; k++) if (lo[k] >= hi[k]) return;
                int outer = innerReduced || in < 0 ? nFree : in; // slots before the row's, stepped by odometers
                for (int k = 0; k < outer; k++) env[k] = lo[k];
                do {
                    if (!innerReduced && in >= 0) {
                        // Element-wise over the row: each row value is its own target entry.
                        for (long base = lo[in]; base < hi[in]; base += CHUNK) {
                            int len = (int) Math.min(CHUNK, hi[in] - base);
                            env[in] = base;
                            f.len = len;
                            int keep = row(f, where, body, vals, miss, abs, conds, cmiss, cabs);
                            if (keep == 0) continue;
                            for (int j = 0; j < len; j++) {
                                if (miss[j]) continue;
                                env[in] = base + j;
                                int off = offset(pos, env, target.shape, strides);
                                if (off < 0) continue;
                                target.data[off] = vals[j];
                                target.present[off] = op != null || !abs[j];
                            }
                        }
                        continue;
                    }
                    // One target entry: reduce over the reduced slots, the last along rows.
                    boolean exists = false, present = false;
                    double acc = op == null ? 0.0 : op.identity();
                    if (in < 0) {
                        f.len = 1;
                        if (row(f, where, body, vals, miss, abs, conds, cmiss, cabs) > 0 && !miss[0]) {
                            exists = true;
                            if (!abs[0]) {
                                acc = vals[0];
                                present = true;
                            }
                        }
                    } else {
                        for (int k = nFree; k < in; k++) env[k] = lo[k];
                        do {
                            for (long base = lo[in]; base < hi[in]; base += CHUNK) {
                                int len = (int) Math.min(CHUNK, hi[in] - base);
                                env[in] = base;
                                f.len = len;
                                if (row(f, where, body, vals, miss, abs, conds, cmiss, cabs) == 0) continue;
                                for (int j = 0; j < len; j++) {
                                    if (miss[j]) continue;
                                    exists = true;
                                    if (abs[j]) continue;
                                    acc = op == null ? vals[j] : op.combine(acc, vals[j]);
                                    present = true;
                                }
                            }
                        } while (advance(env, lo, hi, nFree, in));
                    }
                    if (exists) {
                        int off = offset(pos, env, target.shape, strides);
                        if (off >= 0) {
                            target.data[off] = acc;
                            target.present[off] = op != null || present;
                        }
                    }
                } while (advance(env, lo, hi, 0, outer));
            };
        }

        /**
         * Evaluates condition and body over the frame's row; marks points that do not exist
         * (filtered by the condition) as missing. Returns how many points of the row exist.
         */
        private static int row(Frame f, Row where, Row body, double[] vals, boolean[] miss, boolean[] abs,
                               double[] conds, boolean[] cmiss, boolean[] cabs) {
            int len = f.len;
            Arrays.fill(miss, 0, len, false);
            Arrays.fill(abs, 0, len, false);
            int kept = len;
            if (where != null) {
                Arrays.fill(cmiss, 0, len, false);
                Arrays.fill(cabs, 0, len, false);
                where.eval(f, conds, cmiss, cabs);
                kept = 0;
                for (int j = 0; j < len; j++) {
                    boolean keep = !cmiss[j] && !cabs[j] && conds[j] != 0.0;
                    miss[j] = !keep;
                    if (keep) kept++;
                }
                if (kept == 0) return 0;
            }
            body.eval(f, vals, miss, abs);
            return kept;
        }

        /** The flat offset of the target entry at {@code env}, or -1 when it lies outside the tensor. */
        private static int offset(Int[] pos, long[] env, int[] shape, int[] strides) {
            int off = 0;
            for (int k = 0; k < pos.length; k++) {
                long p = pos[k].eval(env);
                if (p < 0 || p >= shape[k]) return -1;
                off += (int) p * strides[k];
            }
            return off;
        }

        /** Steps the odometer {@code env[from..to)} (last slot fastest); false once it has wrapped around. */
        private static boolean advance(long[] env, long[] lo, long[] hi, int from, int to) {
            for (int k = to - 1; k >= from; k--) {
                if (++env[k] < hi[k]) return true;
                env[k] = lo[k];
            }
            return false;
        }

        Int index(IndexExpr e) {
            return switch (e) {
                case IndexExpr.Idx(String n) -> {
                    int slot = slot(n);
                    yield env -> env[slot];
                }
                case IndexExpr.Lit(long v) -> env -> v;
                case IndexExpr.Ext(String ix) -> {
                    long v = x.of(ix);
                    yield env -> v;
                }
                case IndexExpr.INeg(IndexExpr a) -> {
                    Int ia = index(a);
                    yield env -> -ia.eval(env);
                }
                case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> {
                    Int ia = index(a), ib = index(b);
                    yield switch (op) {
                        case ADD -> env -> ia.eval(env) + ib.eval(env);
                        case SUB -> env -> ia.eval(env) - ib.eval(env);
                        case MUL -> env -> ia.eval(env) * ib.eval(env);
                        case DIV -> env -> {
                            long d = ib.eval(env);
                            return d == 0 ? 0 : Math.floorDiv(ia.eval(env), d);
                        };
                        case MOD -> env -> {
                            long d = ib.eval(env);
                            return d == 0 ? 0 : Math.floorMod(ia.eval(env), d);
                        };
                    };
                }
            };
        }

        private int slot(String index) {
            Integer s = slots.get(index);
            if (s == null) throw new IllegalStateException("index '" + index + "' is not in the iteration space");
            return s;
        }

        Row value(Expr e) {
            return switch (e) {
                case Expr.Const(double v) -> constant(v);
                case Expr.ParamRef(String n) -> {
                    Double v = params.get(n);
                    if (v == null) throw new IllegalStateException("parameter '" + n + "' has no value");
                    yield constant(v);
                }
                case Expr.ExtentRef(String ix) -> constant(x.of(ix));
                case Expr.IndexValue(String ix) -> {
                    int slot = slot(ix);
                    if (slot == inner) yield (f, out, m, a) -> {
                        long base = f.env[slot];
                        for (int j = 0; j < f.len; j++) out[j] = base + j;
                    };
                    yield (f, out, m, a) -> Arrays.fill(out, 0, f.len, f.env[slot]);
                }
                case Expr.Access acc -> access(acc);
                case Expr.Unary(Expr.Fn fn, Expr arg) -> unary(fn, value(arg));
                case Expr.Binary(Expr.Op op, Expr a, Expr b) -> binary(op, value(a), value(b));
                case Expr.Select(Expr cond, Expr a, Expr b) -> select(value(cond), value(a), value(b));
            };
        }

        private static Row constant(double v) {
            return (f, out, m, a) -> Arrays.fill(out, 0, f.len, v);
        }

        private Row access(Expr.Access a) {
            Store s = stores.get(a.tensor());
            if (s == null) throw new IllegalStateException("no storage for tensor '" + a.tensor() + "'");
            int[] shape = s.shape;
            int[] strides = strides(shape);
            int n = a.indices().size();
            if (n != shape.length) throw new IllegalStateException("access to '" + a.tensor() + "' with " + n + " indices, it has " + shape.length + " ranks");
            double[] data = s.data;
            boolean[] present = s.present;
            int[] plain = new int[n];
            boolean allPlain = true;
            for (int k = 0; k < n; k++) {
                String ix = a.indices().get(k).plainIndex();
                if (ix == null) {
                    allPlain = false;
                    break;
                }
                plain[k] = slot(ix);
            }
            int in = inner;
            if (allPlain) {
                // Positions are slots: the row walks memory with one stride, in range up to a bound.
                int innerStride = 0;
                for (int k = 0; k < n; k++) if (plain[k] == in) innerStride += strides[k];
                int step = innerStride;
                return (f, out, miss, abs) -> {
                    long[] env = f.env;
                    int len = f.len, valid = len, off = 0;
                    for (int k = 0; k < n; k++) {
                        long p = env[plain[k]];
                        if (plain[k] == in) valid = (int) Math.min(valid, Math.max(0, shape[k] - p));
                        else if (p >= shape[k]) valid = 0;
                        off += (int) Math.min(p, shape[k]) * strides[k];
                    }
                    for (int j = 0; j < valid; j++, off += step) {
                        if (present != null && !present[off]) abs[j] = true;
                        else out[j] = data[off];
                    }
                    for (int j = valid; j < len; j++) miss[j] = true;
                };
            }
            Int[] pos = new Int[n];
            for (int k = 0; k < n; k++) pos[k] = index(a.indices().get(k));
            return (f, out, miss, abs) -> {
                long[] env = f.env;
                long base = in >= 0 ? env[in] : 0;
                for (int j = 0; j < f.len; j++) {
                    if (in >= 0) env[in] = base + j;
                    int off = offset(pos, env, shape, strides);
                    if (off < 0) miss[j] = true;
                    else if (present != null && !present[off]) abs[j] = true;
                    else out[j] = data[off];
                }
                if (in >= 0) env[in] = base;
            };
        }

        private static Row unary(Expr.Fn fn, Row a) {
            return (f, out, m, ab) -> {
                a.eval(f, out, m, ab);
                int len = f.len;
                switch (fn) {
                    case NEG -> { for (int j = 0; j < len; j++) out[j] = -out[j]; }
                    case NOT -> { for (int j = 0; j < len; j++) out[j] = out[j] != 0.0 ? 0.0 : 1.0; }
                    case EXP -> { for (int j = 0; j < len; j++) out[j] = Math.exp(out[j]); }
                    case LOG -> { for (int j = 0; j < len; j++) out[j] = Math.log(out[j]); }
                    case SQRT -> { for (int j = 0; j < len; j++) out[j] = Math.sqrt(out[j]); }
                    case RSQRT -> { for (int j = 0; j < len; j++) out[j] = 1.0 / Math.sqrt(out[j]); }
                    case TANH -> { for (int j = 0; j < len; j++) out[j] = Math.tanh(out[j]); }
                    case SIGMOID -> { for (int j = 0; j < len; j++) out[j] = sigmoid(out[j]); }
                    case SOFTPLUS -> { for (int j = 0; j < len; j++) out[j] = softplus(out[j]); }
                    case RELU -> { for (int j = 0; j < len; j++) out[j] = Math.max(0.0, out[j]); }
                    case ELU -> { for (int j = 0; j < len; j++) out[j] = out[j] > 0 ? out[j] : Math.expm1(out[j]); }
                    case ABS -> { for (int j = 0; j < len; j++) out[j] = Math.abs(out[j]); }
                    case SIGN -> { for (int j = 0; j < len; j++) out[j] = Math.signum(out[j]); }
                }
            };
        }

        private static Row binary(Expr.Op op, Row a, Row b) {
            double[] rb = new double[CHUNK];
            if (op.isLogic()) {
                // Short-circuit per point: b's missing or absent entries count only where b decides.
                boolean[] mb = new boolean[CHUNK], ab = new boolean[CHUNK];
                return (f, out, m, abs) -> {
                    int len = f.len;
                    a.eval(f, out, m, abs);
                    Arrays.fill(mb, 0, len, false);
                    Arrays.fill(ab, 0, len, false);
                    b.eval(f, rb, mb, ab);
                    for (int j = 0; j < len; j++) {
                        boolean av = out[j] != 0.0, decided = op == Expr.Op.AND ? !av : av;
                        if (m[j] || abs[j] || decided) {
                            out[j] = av ? 1.0 : 0.0;
                            continue;
                        }
                        m[j] = mb[j];
                        abs[j] = ab[j];
                        out[j] = rb[j] != 0.0 ? 1.0 : 0.0;
                    }
                };
            }
            return (f, out, m, abs) -> {
                a.eval(f, out, m, abs);
                b.eval(f, rb, m, abs);
                int len = f.len;
                switch (op) {
                    case ADD -> { for (int j = 0; j < len; j++) out[j] += rb[j]; }
                    case SUB -> { for (int j = 0; j < len; j++) out[j] -= rb[j]; }
                    case MUL -> { for (int j = 0; j < len; j++) out[j] *= rb[j]; }
                    case DIV -> { for (int j = 0; j < len; j++) out[j] /= rb[j]; }
                    case LT -> { for (int j = 0; j < len; j++) out[j] = out[j] < rb[j] ? 1.0 : 0.0; }
                    case LE -> { for (int j = 0; j < len; j++) out[j] = out[j] <= rb[j] ? 1.0 : 0.0; }
                    case GT -> { for (int j = 0; j < len; j++) out[j] = out[j] > rb[j] ? 1.0 : 0.0; }
                    case GE -> { for (int j = 0; j < len; j++) out[j] = out[j] >= rb[j] ? 1.0 : 0.0; }
                    case EQ -> { for (int j = 0; j < len; j++) out[j] = out[j] == rb[j] ? 1.0 : 0.0; }
                    case NE -> { for (int j = 0; j < len; j++) out[j] = out[j] != rb[j] ? 1.0 : 0.0; }
                    case MIN -> { for (int j = 0; j < len; j++) out[j] = Math.min(out[j], rb[j]); }
                    case MAX -> { for (int j = 0; j < len; j++) out[j] = Math.max(out[j], rb[j]); }
                    case POW -> { for (int j = 0; j < len; j++) out[j] = Math.pow(out[j], rb[j]); }
                    case AND, OR -> throw new AssertionError("handled above");
                }
            };
        }

        /** {@code select(c, a, b)}: only the chosen branch's missing and absent entries count. */
        private static Row select(Row c, Row a, Row b) {
            double[] ra = new double[CHUNK], rb = new double[CHUNK];
            boolean[] ma = new boolean[CHUNK], aa = new boolean[CHUNK], mb = new boolean[CHUNK], ab = new boolean[CHUNK];
            return (f, out, m, abs) -> {
                int len = f.len;
                c.eval(f, out, m, abs);
                Arrays.fill(ma, 0, len, false);
                Arrays.fill(aa, 0, len, false);
                Arrays.fill(mb, 0, len, false);
                Arrays.fill(ab, 0, len, false);
                a.eval(f, ra, ma, aa);
                b.eval(f, rb, mb, ab);
                for (int j = 0; j < len; j++) {
                    if (m[j] || abs[j]) continue;
                    boolean first = out[j] != 0.0;
                    m[j] = first ? ma[j] : mb[j];
                    abs[j] = first ? aa[j] : ab[j];
                    out[j] = first ? ra[j] : rb[j];
                }
            };
        }

        static double sigmoid(double v) {
            return v >= 0 ? 1.0 / (1.0 + Math.exp(-v)) : Math.exp(v) / (1.0 + Math.exp(v));
        }

        static double softplus(double v) {
            return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
        }

        static int[] strides(int[] shape) {
            int[] st = new int[shape.length];
            int s = 1;
            for (int k = shape.length - 1; k >= 0; k--) {
                st[k] = s;
                s *= shape[k];
            }
            return st;
        }
    }
}
