package einc.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float64 reference interpreter: the meaning of a cascade (LANGUAGE.md §8) and the oracle of
 * every test. Statements run in order; the statements of a recurrence run as one sequential loop
 * over their iterative rank (§7); absent entries follow docs/SEMANTICS.md. Each statement is
 * compiled once into a tree of small closures over a frame of index values, so the oracle is
 * fast enough for attention at P = M = 256.
 */
public final class Interpreter {

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
        Map<String, Double> out = new LinkedHashMap<>();
        for (Param p : c.params()) {
            if (given.containsKey(p.name())) {
                out.put(p.name(), given.get(p.name()));
            } else if (p.defaultValue() != null) {
                Frame f = new Frame(0);
                double v = new Compiler(c, x, out, Map.of(), Map.of()).value(p.defaultValue()).eval(f);
                out.put(p.name(), v);
            } else {
                errors.add(Diagnostic.error(p.span(), Code.MISSING_PARAM, p.name())
                        .withHint("give it with --param " + p.name() + "=VALUE"));
            }
        }
        if (!errors.isEmpty()) throw new EincException(errors);
        return out;
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

        Compiler compiler = new Compiler(c, x, params, stores, Map.of());
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

    /** Index values of the current point and what evaluation found. */
    private static final class Frame {
        final long[] env;
        /** The point does not exist: an access fell outside its tensor. */
        boolean missing;
        /** The value read an absent entry. */
        boolean absent;

        Frame(int slots) {
            env = new long[slots];
        }
    }

    /** A compiled numeric (or condition: 1/0) expression. */
    @FunctionalInterface
    private interface Value {
        double eval(Frame f);
    }

    /** A compiled integer index expression. */
    @FunctionalInterface
    private interface Int {
        long eval(long[] env);
    }

    /** One compiled statement; {@code run(step)} executes it whole (step -1) or at one step of its recurrence. */
    @FunctionalInterface
    private interface Step {
        void run(int step);
    }

    /** Turns IR expressions into closures over a frame whose slots are the statement's indices. */
    private static final class Compiler {
        private final Cascade c;
        private final Extents x;
        private final Map<String, Double> params;
        private final Map<String, Store> stores;
        private Map<String, Integer> slots;

        Compiler(Cascade c, Extents x, Map<String, Double> params, Map<String, Store> stores, Map<String, Integer> slots) {
            this.c = c;
            this.x = x;
            this.params = params;
            this.stores = stores;
            this.slots = slots;
        }

        Step statement(Einsum s, String recurrence) {
            List<String> space = c.iterationSpace(s);
            List<String> reduced = s.reducedIndices();
            List<String> free = new ArrayList<>(space);
            free.removeAll(reduced);
            List<String> order = new ArrayList<>(free);
            order.addAll(reduced);
            slots = new LinkedHashMap<>();
            for (String ix : order) slots.put(ix, slots.size());
            int nFree = free.size(), n = order.size();
            long[] extent = new long[n];
            for (int k = 0; k < n; k++) extent[k] = x.of(order.get(k));
            int recSlot = recurrence == null ? -1 : slots.get(recurrence);

            TensorDecl td = c.tensorOrThrow(s.tensor());
            Store target = stores.get(s.tensor());
            Int[] pos = new Int[td.arity()];
            for (int k = 0; k < pos.length; k++)
                pos[k] = s.init() && td.ranks().get(k).iterative() ? env -> 0 : index(s.target().indices().get(k));
            int[] strides = strides(target.shape);
            Value body = value(s.body());
            Value where = s.where() == null ? null : value(s.where());
            ReduceOp op = s.reduceOp();
            Frame f = new Frame(n);
            long[] env = f.env;

            return step -> {
                long[] lo = new long[n], hi = extent.clone();
                if (recSlot >= 0) {
                    lo[recSlot] = step;
                    hi[recSlot] = step + 1;
                }
                for (int k = 0; k < n; k++) if (lo[k] >= hi[k]) return;
                for (int k = 0; k < nFree; k++) env[k] = lo[k];
                while (true) {
                    // One target entry: reduce over the reduced slots.
                    boolean exists = false, present = false;
                    double acc = op == null ? 0.0 : op.identity();
                    for (int k = nFree; k < n; k++) env[k] = lo[k];
                    while (true) {
                        f.missing = false;
                        f.absent = false;
                        boolean keep = true;
                        if (where != null) {
                            double w = where.eval(f);
                            keep = !f.missing && !f.absent && w != 0.0;
                        }
                        if (keep) {
                            double v = body.eval(f);
                            if (!f.missing) {
                                exists = true;
                                if (!f.absent) {
                                    acc = op == null ? v : op.combine(acc, v);
                                    present = true;
                                }
                            }
                        }
                        if (!advance(env, lo, hi, nFree, n)) break;
                    }
                    if (exists) {
                        int off = 0;
                        boolean inside = true;
                        for (int k = 0; k < pos.length; k++) {
                            long p = pos[k].eval(env);
                            if (p < 0 || p >= target.shape[k]) {
                                inside = false;
                                break;
                            }
                            off += (int) p * strides[k];
                        }
                        if (inside) {
                            if (op != null || present) {
                                target.data[off] = acc;
                                target.present[off] = true;
                            } else {
                                target.present[off] = false;
                            }
                        }
                    }
                    if (!advance(env, lo, hi, 0, nFree)) break;
                }
            };
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

        Value value(Expr e) {
            return switch (e) {
                case Expr.Const(double v) -> f -> v;
                case Expr.ParamRef(String n) -> {
                    Double v = params.get(n);
                    if (v == null) throw new IllegalStateException("parameter '" + n + "' has no value");
                    double d = v;
                    yield f -> d;
                }
                case Expr.ExtentRef(String ix) -> {
                    double v = x.of(ix);
                    yield f -> v;
                }
                case Expr.IndexValue(String ix) -> {
                    int slot = slot(ix);
                    yield f -> f.env[slot];
                }
                case Expr.Access a -> access(a);
                case Expr.Unary(Expr.Fn fn, Expr arg) -> unary(fn, value(arg));
                case Expr.Binary(Expr.Op op, Expr a, Expr b) -> binary(op, value(a), value(b));
                case Expr.Select(Expr cond, Expr a, Expr b) -> {
                    Value vc = value(cond), va = value(a), vb = value(b);
                    yield f -> {
                        double cv = vc.eval(f);
                        if (f.missing || f.absent) return 0.0;
                        return cv != 0.0 ? va.eval(f) : vb.eval(f);
                    };
                }
            };
        }

        private Value access(Expr.Access a) {
            Store s = stores.get(a.tensor());
            if (s == null) throw new IllegalStateException("no storage for tensor '" + a.tensor() + "'");
            int[] shape = s.shape;
            int[] strides = strides(shape);
            int n = a.indices().size();
            if (n != shape.length) throw new IllegalStateException("access to '" + a.tensor() + "' with " + n + " indices, it has " + shape.length + " ranks");
            double[] data = s.data;
            boolean[] present = s.present;
            // Fast path: every position a plain index.
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
            if (allPlain) {
                return f -> {
                    long[] env = f.env;
                    int off = 0;
                    for (int k = 0; k < n; k++) {
                        long p = env[plain[k]];
                        if (p >= shape[k]) {
                            f.missing = true;
                            return 0.0;
                        }
                        off += (int) p * strides[k];
                    }
                    if (present != null && !present[off]) {
                        f.absent = true;
                        return 0.0;
                    }
                    return data[off];
                };
            }
            Int[] pos = new Int[n];
            for (int k = 0; k < n; k++) pos[k] = index(a.indices().get(k));
            return f -> {
                int off = 0;
                for (int k = 0; k < n; k++) {
                    long p = pos[k].eval(f.env);
                    if (p < 0 || p >= shape[k]) {
                        f.missing = true;
                        return 0.0;
                    }
                    off += (int) p * strides[k];
                }
                if (present != null && !present[off]) {
                    f.absent = true;
                    return 0.0;
                }
                return data[off];
            };
        }

        private static Value unary(Expr.Fn fn, Value a) {
            return switch (fn) {
                case NEG -> f -> -a.eval(f);
                case NOT -> f -> a.eval(f) != 0.0 ? 0.0 : 1.0;
                case EXP -> f -> Math.exp(a.eval(f));
                case LOG -> f -> Math.log(a.eval(f));
                case SQRT -> f -> Math.sqrt(a.eval(f));
                case RSQRT -> f -> 1.0 / Math.sqrt(a.eval(f));
                case TANH -> f -> Math.tanh(a.eval(f));
                case SIGMOID -> f -> sigmoid(a.eval(f));
                case SOFTPLUS -> f -> softplus(a.eval(f));
                case RELU -> f -> Math.max(0.0, a.eval(f));
                case ELU -> f -> {
                    double v = a.eval(f);
                    return v > 0 ? v : Math.expm1(v);
                };
                case ABS -> f -> Math.abs(a.eval(f));
                case SIGN -> f -> Math.signum(a.eval(f));
            };
        }

        private static Value binary(Expr.Op op, Value a, Value b) {
            return switch (op) {
                case ADD -> f -> a.eval(f) + b.eval(f);
                case SUB -> f -> a.eval(f) - b.eval(f);
                case MUL -> f -> a.eval(f) * b.eval(f);
                case DIV -> f -> a.eval(f) / b.eval(f);
                case LT -> f -> a.eval(f) < b.eval(f) ? 1.0 : 0.0;
                case LE -> f -> a.eval(f) <= b.eval(f) ? 1.0 : 0.0;
                case GT -> f -> a.eval(f) > b.eval(f) ? 1.0 : 0.0;
                case GE -> f -> a.eval(f) >= b.eval(f) ? 1.0 : 0.0;
                case EQ -> f -> a.eval(f) == b.eval(f) ? 1.0 : 0.0;
                case NE -> f -> a.eval(f) != b.eval(f) ? 1.0 : 0.0;
                case AND -> f -> a.eval(f) != 0.0 && !f.missing && !f.absent ? (b.eval(f) != 0.0 ? 1.0 : 0.0) : 0.0;
                case OR -> f -> a.eval(f) != 0.0 && !f.missing && !f.absent ? 1.0 : (b.eval(f) != 0.0 ? 1.0 : 0.0);
                case MIN -> f -> Math.min(a.eval(f), b.eval(f));
                case MAX -> f -> Math.max(a.eval(f), b.eval(f));
                case POW -> f -> Math.pow(a.eval(f), b.eval(f));
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
