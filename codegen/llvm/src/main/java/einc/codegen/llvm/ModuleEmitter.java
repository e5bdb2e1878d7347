package einc.codegen.llvm;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.IndexDef;
import einc.ir.Exprs;
import einc.ir.IndexExpr;
import einc.ir.Param;
import einc.ir.ReduceOp;
import einc.ir.Rank;
import einc.ir.TensorDecl;
import einc.optimizer.Schedule;
import einc.optimizer.attention.AttentionMatch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Emits the LLVM IR module of one cascade as text: every statement becomes a loop nest over f32
 * buffers that keeps the absent-entry rules of docs/SEMANTICS.md (presence flags for tensors that
 * may be partial, out-of-range accesses as non-existing points), recurrences become one sequential
 * loop, and independent batch points become the outermost loop over {@code [lo, hi)}. Inside it
 * the statements run in the loop nests of {@link Schedule}, as in the JVM generic path: one loop
 * per nest over its outer rank, and intermediates local to a nest hold one outer point (a row).
 *
 * <p>The module exports four functions, named from {@link #symbol}: {@code S_extents(i64* ext)}
 * fills the extents of split parts, {@code S_params(i64* ext, float* par)} fills defaults where a
 * parameter is NaN, {@code S_tasks(i64* ext)} counts independent batch points, and
 * {@code S(ptr* tensors, i64* ext, float* par, i64 lo, i64 hi)} runs points {@code lo..hi} (inputs
 * then outputs in {@code tensors}, each a dense row-major f32 array).
 */
public final class ModuleEmitter {

    private final NativePlan plan;
    private final Cascade c;
    private final String symbol;
    private final String targetAttributes;
    private final Set<String> usedMath = new LinkedHashSet<>();

    private final boolean avx512;

    private ModuleEmitter(Cascade c, String symbol, String targetAttributes, boolean avx512) {
        this.c = c;
        this.avx512 = avx512;
        this.plan = new NativePlan(c);
        this.symbol = symbol;
        this.targetAttributes = targetAttributes;
    }

    /** The exported name of the kernel of {@code c}. */
    public static String symbol(Cascade c) {
        return "einc_" + c.name().replaceAll("[^A-Za-z0-9_]", "_");
    }

    /** The module text; {@code cpu} and {@code features} become function attributes when not null. */
    public static String emit(Cascade c, String symbol, String triple, String dataLayout, String cpu, String features) {
        String attrs = cpu == null ? "" : "\"target-cpu\"=\"" + cpu + "\" \"target-features\"=\"" + features + "\" ";
        return new ModuleEmitter(c, symbol, attrs, features != null && features.contains("+avx512f")).module(triple, dataLayout);
    }

    /**
     * Which kernel {@code c} gets: "fused" (the flash-attention kernel of {@link FusedAttention}) or
     * "generic (REASON)" where the attention recognizer says why not.
     */
    public static String variant(Cascade c) {
        AttentionMatch.Result m = FusedAttention.match(c);
        return m.attention() != null ? "fused" : "generic (" + m.reason() + ")";
    }

    /** Whether the batch points of {@code c} are independent, so that calls may split them among threads. */
    public static boolean parallel(Cascade c) {
        return new NativePlan(c).batchOuter;
    }

    private String module(String triple, String dataLayout) {
        AttentionMatch.Result match = FusedAttention.match(c);
        StringBuilder out = new StringBuilder();
        if (match.attention() != null)
            out.append("; einc: cascade ").append(c.name()).append(", fused attention kernel\n");
        else
            out.append("; einc: cascade ").append(c.name()).append(", generic kernel (not fused: ").append(match.reason())
                    .append("), independent points over ").append(plan.pointRanks).append(", ").append(plan.schedule.nests().size())
                    .append(" loop nests, local ").append(plan.schedule.local().keySet()).append(", total tensors ").append(plan.total).append('\n');
        out.append("source_filename = \"").append(c.name()).append(".ein\"\n");
        if (dataLayout != null) out.append("target datalayout = \"").append(dataLayout).append("\"\n");
        if (triple != null) out.append("target triple = \"").append(triple).append("\"\n");
        out.append('\n');
        FusedAttention fused = match.attention() == null ? null : new FusedAttention(c, match.attention(), symbol, usedMath, avx512);
        String kernel = fused != null ? fused.kernel() : kernel();
        out.append(extentsFunction()).append('\n');
        out.append(paramsFunction()).append('\n');
        out.append(fused != null ? fused.tasks() : tasksFunction()).append('\n');
        out.append(kernel).append('\n');
        out.append(FastMath.EXP).append('\n');
        if (fused != null) out.append(fused.functions()).append('\n');
        usedMath.add("declare float @llvm.rint.f32(float)");
        usedMath.add("declare float @llvm.minnum.f32(float, float)");
        out.append("declare ptr @malloc(i64)\ndeclare void @free(ptr)\n");
        out.append("declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)\n");
        for (String m : usedMath) out.append(m).append('\n');
        out.append("\nattributes #0 = { nounwind \"prefer-vector-width\"=\"512\" ").append(targetAttributes).append("}\n");
        return out.toString();
    }

    // --- the small exported functions

    private String extentsFunction() {
        IrBuilder b = new IrBuilder();
        Map<String, String> ext = new LinkedHashMap<>();
        for (IndexDef d : c.indices())
            if (d.rule() instanceof IndexDef.Bound) ext.put(d.name(), b.load("i64", extPtr(b, "%ext", d.name())));
        boolean changed = true;
        while (changed) {
            changed = false;
            for (IndexDef d : c.indices()) {
                if (ext.containsKey(d.name())) continue;
                String v = switch (d.rule()) {
                    case IndexDef.Bound bound -> null;
                    case IndexDef.SplitInner(String parent, IndexExpr tile) -> constant(b, tile, ext);
                    case IndexDef.SplitOuter(String parent, IndexExpr tile) -> {
                        String m = ext.get(parent), t = constant(b, tile, ext);
                        yield m == null || t == null ? null : b.let("sdiv i64 " + b.add(m, b.sub(t, "1")) + ", " + t);
                    }
                };
                if (v != null) {
                    ext.put(d.name(), v);
                    b.store("i64", v, extPtr(b, "%ext", d.name()));
                    changed = true;
                }
            }
        }
        b.line("ret void");
        return b.finish("define void @" + symbol + "_extents(ptr %ext) #0");
    }

    private String constant(IrBuilder b, IndexExpr e, Map<String, String> ext) {
        for (String ix : extentsIn(e)) if (!ext.containsKey(ix)) return null;
        return new Lowering(b, Map.of(), ext, Map.of()).index(e);
    }

    private static Set<String> extentsIn(IndexExpr e) {
        Set<String> out = new LinkedHashSet<>();
        Exprs.collectExtents(e, out);
        return out;
    }

    private String paramsFunction() {
        IrBuilder b = new IrBuilder();
        Map<String, String> ext = loadExtents(b, "%ext");
        Map<String, String> par = new LinkedHashMap<>();
        for (int k = 0; k < c.params().size(); k++) {
            Param p = c.params().get(k);
            String ptr = b.gep("float", "%par", Integer.toString(k));
            String given = b.load("float", ptr);
            String v = given;
            if (p.defaultValue() != null) {
                Value d = new Lowering(b, Map.of(), ext, par).number(p.defaultValue());
                String isNan = b.let("fcmp uno float " + given + ", 0.0");
                v = b.select(isNan, "float", d.v(), given);
                b.store("float", v, ptr);
            }
            par.put(p.name(), v);
        }
        b.line("ret void");
        return b.finish("define void @" + symbol + "_params(ptr %ext, ptr %par) #0");
    }

    private String tasksFunction() {
        IrBuilder b = new IrBuilder();
        String n = "1";
        if (plan.batchOuter) {
            Map<String, String> ext = loadExtents(b, "%ext");
            for (String r : plan.pointRanks) n = b.mul(n, ext.get(r));
        }
        b.line("ret i64 " + n);
        return b.finish("define i64 @" + symbol + "_tasks(ptr %ext) #0");
    }

    private String extPtr(IrBuilder b, String ext, String index) {
        return b.gep("i64", ext, Integer.toString(plan.slot(index)));
    }

    private Map<String, String> loadExtents(IrBuilder b, String ext) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String ix : plan.indices) out.put(ix, b.load("i64", extPtr(b, ext, ix)));
        return out;
    }

    // --- the kernel

    /** Where a tensor lives in the kernel: its data, presence flags (or null), dims and strides of its storage. */
    private record Storage(TensorDecl decl, String data, String present, List<String> dims, List<String> strides) {}

    private String kernel() {
        IrBuilder b = new IrBuilder();
        Map<String, String> ext = loadExtents(b, "%ext");
        Map<String, String> par = new LinkedHashMap<>();
        for (int k = 0; k < c.params().size(); k++)
            par.put(c.params().get(k).name(), b.load("float", b.gep("float", "%par", Integer.toString(k))));

        // Storage of every tensor: inputs and outputs from the argument array, intermediates malloc'd per call.
        Map<String, Storage> store = new LinkedHashMap<>();
        Map<String, String> localSize = new LinkedHashMap<>();
        List<String> freed = new ArrayList<>();
        List<TensorDecl> args = new ArrayList<>(c.inputs());
        args.addAll(c.outputs());
        for (TensorDecl t : c.tensors()) {
            List<String> dims = new ArrayList<>();
            for (Rank r : t.ranks()) dims.add(r.iterative() ? b.add(ext.get(r.index()), "1") : ext.get(r.index()));
            List<String> strides = new ArrayList<>();
            String s = "1";
            for (int k = t.arity() - 1; k >= 0; k--) {
                boolean skip = plan.skipped(t, k);
                strides.addFirst(skip ? "0" : s);
                if (!skip) s = b.mul(s, dims.get(k));
            }
            localSize.put(t.name(), s);
            String data;
            int arg = args.indexOf(t);
            if (arg >= 0) {
                data = b.load("ptr", b.gep("ptr", "%tens", Integer.toString(arg)));
            } else {
                data = b.let("call ptr @malloc(i64 " + b.mul(s, "4") + ")");
                freed.add(data);
            }
            String present = null;
            if (plan.tracksPresence(t)) {
                present = b.let("call ptr @malloc(i64 " + s + ")");
                freed.add(present);
            }
            store.put(t.name(), new Storage(t, data, present, dims, strides));
        }

        Map<String, String> env = new LinkedHashMap<>();
        IrBuilder.Loop points = null;
        if (plan.batchOuter) {
            points = b.open("point", "%lo", "%hi");
            String rest = points.index();
            List<String> batch = plan.pointRanks;
            for (int k = batch.size() - 1; k >= 0; k--) {
                String e = ext.get(batch.get(k));
                env.put(batch.get(k), k == 0 ? rest : b.let("srem i64 " + rest + ", " + e));
                if (k > 0) rest = b.let("sdiv i64 " + rest + ", " + e);
            }
        }
        // Per point (or per call): presence cleared, the point's entries of partial outputs zeroed.
        Lowering low = new Lowering(b, env, ext, par);
        low.storage = store;
        for (Storage st : store.values()) {
            TensorDecl t = st.decl();
            if (st.present() != null)
                b.line("call void @llvm.memset.p0.i64(ptr " + st.present() + ", i8 0, i64 " + localSize.get(t.name()) + ", i1 false)");
            if (t.role() == TensorDecl.Role.OUTPUT && !plan.total.contains(t.name())) low.zero(st);
        }
        // One loop nest after another (einc.optimizer.Schedule): a loop over the nest's outer rank,
        // its statements per outer point, a recurrence's statements inside one sequential loop.
        for (Schedule.Nest nest : plan.schedule.nests()) {
            b.comment("nest " + nest.id() + " over " + nest.outer() + ": " + String.join(", ", nest.names()));
            List<IrBuilder.Loop> outer = new ArrayList<>();
            List<String> opened = new ArrayList<>();
            if (!plan.folded(nest)) {
                for (String o : nest.outer()) {
                    IrBuilder.Loop l = b.open("nest" + nest.id() + "." + o, "0", ext.get(o));
                    env.put(o, l.index());
                    outer.add(l);
                    opened.add(o);
                }
                // A local's presence flags of the last outer point are not this point's: clear them.
                if (!outer.isEmpty())
                    for (Schedule.Placed p : nest.statements()) {
                        Storage st = store.get(c.statements().get(p.statement()).tensor());
                        if (st.present() != null && plan.schedule.local().containsKey(st.decl().name()))
                            b.line("call void @llvm.memset.p0.i64(ptr " + st.present() + ", i8 0, i64 "
                                    + localSize.get(st.decl().name()) + ", i1 false)");
                    }
            }
            List<Schedule.Placed> body = nest.statements();
            int i = 0;
            while (i < body.size()) {
                String r = body.get(i).recurrence();
                if (r == null) {
                    low.statement(c.statements().get(body.get(i++).statement()));
                    continue;
                }
                b.comment("recurrence over " + r);
                IrBuilder.Loop step = b.open("rec." + r, "0", ext.get(r));
                env.put(r, step.index());
                while (i < body.size() && r.equals(body.get(i).recurrence())) low.statement(c.statements().get(body.get(i++).statement()));
                env.remove(r);
                b.close(step);
            }
            for (int k = outer.size() - 1; k >= 0; k--) {
                b.close(outer.get(k));
                env.remove(opened.get(k));
            }
        }
        if (points != null) b.close(points);
        for (String f : freed) b.line("call void @free(ptr " + f + ")");
        b.line("ret void");
        return b.finish("define void @" + symbol + "(ptr noalias %tens, ptr noalias %ext, ptr noalias %par, i64 %lo, i64 %hi) #0");
    }

    /** A lowered scalar: its value (float, or i1 when {@code cond}), and i1 flags for a missing point and an absent read. */
    record Value(String v, boolean cond, String miss, String abs) {}

    /** Lowers statements and expressions inside the kernel (or a small function) to IR. */
    private final class Lowering {
        final IrBuilder b;
        final Map<String, String> env;
        final Map<String, String> ext;
        final Map<String, String> par;
        Map<String, Storage> storage = Map.of();

        Lowering(IrBuilder b, Map<String, String> env, Map<String, String> ext, Map<String, String> par) {
            this.b = b;
            this.env = env;
            this.ext = ext;
            this.par = par;
        }

        /** Writes 0 to every entry of output {@code t} at the current point. */
        void zero(Storage t) {
            TensorDecl d = t.decl();
            List<IrBuilder.Loop> loops = new ArrayList<>();
            String off = "0";
            for (int k = 0; k < d.arity(); k++) {
                String ix = d.ranks().get(k).index();
                String pos;
                if (env.containsKey(ix) && plan.pointRanks.contains(ix)) {
                    pos = env.get(ix);
                } else {
                    IrBuilder.Loop l = b.open("z", "0", t.dims().get(k));
                    loops.add(l);
                    pos = l.index();
                }
                off = b.add(off, b.mul(pos, t.strides().get(k)));
            }
            b.store("float", "0.0", b.gep("float", t.data(), off));
            for (int k = loops.size() - 1; k >= 0; k--) b.close(loops.get(k));
        }

        void statement(Einsum s) {
            b.comment(s.tensor() + " = ... (" + (s.reduceOp() == null ? "element-wise" : s.reduceOp().spelling() + " over " + s.reducedIndices()) + ")");
            List<String> space = new ArrayList<>(c.iterationSpace(s));
            space.removeAll(env.keySet());
            List<String> reduced = new ArrayList<>(s.reducedIndices());
            reduced.retainAll(space);
            List<String> free = new ArrayList<>(space);
            free.removeAll(reduced);
            Storage tgt = storage.get(s.tensor());
            boolean alwaysExists = s.where() == null && plan.neverAbsent(s.body(), null);
            if (s.reduceOp() != null && !free.isEmpty() && !reduced.isEmpty() && plainTarget(s)
                    && (alwaysExists || tgt.present() != null || s.reduceOp() == ReduceOp.SUM && tgt.decl().role() == TensorDecl.Role.OUTPUT)
                    && unitStrides(s, free.getLast()) > unitStrides(s, reduced.getLast())) {
                accumulate(s, free, reduced);
                return;
            }
            List<IrBuilder.Loop> freeLoops = new ArrayList<>();
            for (String ix : free) {
                String[] range = range(ix, s);
                IrBuilder.Loop l = b.open("l." + ix, range[0], range[1]);
                env.put(ix, l.index());
                freeLoops.add(l);
            }
            Storage target = storage.get(s.tensor());
            ReduceOp op = s.reduceOp();
            if (op == null) {
                Point p = point(s);
                String join = p.exists.equals("true") ? null : b.ifThen(p.exists);
                String value = p.value.v();
                if (target.decl().role() == TensorDecl.Role.OUTPUT) value = b.select(p.value.abs(), "float", "0.0", value);
                write(s, target, value, b.not(p.value.abs()));
                if (join != null) b.endIf(join);
            } else {
                String acc = b.alloca("float"), seen = b.alloca("i1");
                b.store("float", IrBuilder.f32(op.identity()), acc);
                b.store("i1", "false", seen);
                List<IrBuilder.Loop> redLoops = new ArrayList<>();
                for (String ix : reduced) {
                    String[] range = range(ix, s);
                    IrBuilder.Loop l = b.open("r." + ix, range[0], range[1]);
                    env.put(ix, l.index());
                    redLoops.add(l);
                }
                Point p = point(s);
                String ok = b.and(p.exists, b.not(p.value.abs()));
                String old = b.load("float", acc);
                String next = combine(op, old, p.value.v());
                b.store("float", b.select(ok, "float", next, old), acc);
                if (!p.exists.equals("true")) b.store("i1", b.or(b.load("i1", seen), p.exists), seen);
                for (int k = redLoops.size() - 1; k >= 0; k--) {
                    b.close(redLoops.get(k));
                    env.remove(reduced.get(k));
                }
                String any = p.exists.equals("true") ? "true" : b.load("i1", seen);
                String join = any.equals("true") ? null : b.ifThen(any);
                write(s, target, b.load("float", acc), "true");
                if (join != null) b.endIf(join);
            }
            for (int k = freeLoops.size() - 1; k >= 0; k--) {
                b.close(freeLoops.get(k));
                env.remove(free.get(k));
            }
        }

        /**
         * A reduction whose every point exists and is present, with the innermost free index
         * contiguous in more accesses than the innermost reduced one: the target starts at the
         * identity and accumulates with that free index innermost, so the inner loop vectorizes
         * without a horizontal reduction ({@code AV[p, f] += A[m, p] * V[m, f]} over f).
         */
        private void accumulate(Einsum s, List<String> free, List<String> reduced) {
            b.comment("accumulated in place, " + free.getLast() + " innermost");
            Storage target = storage.get(s.tensor());
            ReduceOp op = s.reduceOp();
            List<IrBuilder.Loop> loops = new ArrayList<>();
            for (String ix : free) loops.add(loop(ix, null));
            write(s, target, IrBuilder.f32(op.identity()), "false");
            closeAll(loops, free);
            List<String> order = new ArrayList<>(free.subList(0, free.size() - 1));
            order.addAll(reduced);
            order.add(free.getLast());
            for (String ix : order) loops.add(loop(ix, s));
            String off = targetOffset(s, target);
            String ptr = b.gep("float", target.data(), off);
            Point p = point(s);
            String ok = b.and(p.exists, b.not(p.value.abs()));
            String old = b.load("float", ptr);
            b.store("float", b.select(ok, "float", combine(op, old, p.value.v()), old), ptr);
            if (target.present() != null) {
                String flag = b.gep("i8", target.present(), off);
                b.store("i8", b.select(p.exists, "i8", "1", b.load("i8", flag)), flag);
            }
            closeAll(loops, order);
        }

        private IrBuilder.Loop loop(String ix, Einsum s) {
            String[] range = range(ix, s);
            IrBuilder.Loop l = b.open("l." + ix, range[0], range[1]);
            env.put(ix, l.index());
            return l;
        }

        private void closeAll(List<IrBuilder.Loop> loops, List<String> names) {
            for (int k = loops.size() - 1; k >= 0; k--) {
                b.close(loops.get(k));
                env.remove(names.get(k));
            }
            loops.clear();
        }

        private String targetOffset(Einsum s, Storage t) {
            String off = "0";
            for (int k = 0; k < t.decl().arity(); k++) off = b.add(off, b.mul(index(s.target().indices().get(k)), t.strides().get(k)));
            return off;
        }

        /**
         * The loop range of {@code ix} in {@code s}: the whole extent, narrowed by the conjuncts of
         * the condition that compare it with an index already fixed ({@code m <= p}: m below p + 1).
         * Points outside do not exist, and the condition is still tested inside.
         */
        private String[] range(String ix, Einsum s) {
            String lo = "0", hi = ext.get(ix);
            if (s == null || s.where() == null) return new String[] {lo, hi};
            List<Expr> conjuncts = new ArrayList<>();
            Exprs.collectOperands(s.where(), Expr.Op.AND, conjuncts);
            for (Expr e : conjuncts) {
                if (!(e instanceof Expr.Binary(Expr.Op op, Expr.IndexValue(String a), Expr.IndexValue(String x)))) continue;
                Expr.Op o = op;
                String other;
                if (a.equals(ix) && env.containsKey(x)) other = x;
                else if (x.equals(ix) && env.containsKey(a)) {
                    other = a;
                    o = switch (op) { case LT -> Expr.Op.GT; case LE -> Expr.Op.GE; case GT -> Expr.Op.LT; case GE -> Expr.Op.LE; default -> op; };
                } else continue;
                String v = env.get(other);
                switch (o) {
                    case LE -> hi = min(hi, b.add(v, "1"));
                    case LT -> hi = min(hi, v);
                    case GE -> lo = max(lo, v);
                    case GT -> lo = max(lo, b.add(v, "1"));
                    default -> {}
                }
            }
            return new String[] {lo, hi};
        }

        private String min(String a, String x) {
            return b.select(b.let("icmp slt i64 " + a + ", " + x), "i64", a, x);
        }

        private String max(String a, String x) {
            return b.select(b.let("icmp sgt i64 " + a + ", " + x), "i64", a, x);
        }

        /** Whether the target of {@code s} is distinct plain indices, each always in range. */
        private boolean plainTarget(Einsum s) {
            if (s.init()) return false;
            TensorDecl d = c.tensorOrThrow(s.tensor());
            Set<String> seen = new LinkedHashSet<>();
            for (int k = 0; k < d.arity(); k++) {
                IndexExpr ix = s.target().indices().get(k);
                if (ix.plainIndex() == null || !seen.add(ix.plainIndex()) || !plan.alwaysInRange(ix, d.ranks().get(k))) return false;
            }
            return true;
        }

        /** How many accesses of {@code s} (target included) walk memory with stride 1 along {@code index}. */
        private int unitStrides(Einsum s, String index) {
            List<Expr.Access> all = new ArrayList<>(List.of(s.target()));
            einc.ir.Exprs.forEach(s.body(), n -> {
                if (n instanceof Expr.Access a) all.add(a);
            });
            int count = 0;
            for (Expr.Access a : all) {
                Storage t = storage.get(a.tensor());
                for (int k = 0; k < a.indices().size(); k++)
                    if (index.equals(a.indices().get(k).plainIndex()) && t.strides().get(k).equals("1")) count++;
            }
            return count;
        }

        private String combine(ReduceOp op, String acc, String x) {
            return switch (op) {
                case SUM -> b.let("fadd " + IrBuilder.FM + " float " + acc + ", " + x);
                case PROD -> b.let("fmul " + IrBuilder.FM + " float " + acc + ", " + x);
                // NaN-propagating, like the interpreter's Math.max/min (maxnum would skip a NaN)
                case MAX -> math("llvm.maximum.f32", acc, x);
                case MIN -> math("llvm.minimum.f32", acc, x);
            };
        }

        /** One point of a statement: whether it exists, and its body. */
        private record Point(String exists, Value value) {}

        private Point point(Einsum s) {
            String keep = "true";
            if (s.where() != null) {
                Value w = lower(s.where());
                keep = b.and(b.and(b.not(w.miss()), b.not(w.abs())), cond(w));
            }
            Value v = number(s.body());
            return new Point(b.and(keep, b.not(v.miss())), v);
        }

        /** Stores {@code value} (and presence {@code present}) at the target entry of the current point, if it is in range. */
        private void write(Einsum s, Storage t, String value, String present) {
            TensorDecl d = t.decl();
            String off = "0", inRange = "true";
            for (int k = 0; k < d.arity(); k++) {
                Rank r = d.ranks().get(k);
                IndexExpr ix = s.target().indices().get(k);
                String pos = s.init() && r.iterative() ? "0" : index(ix);
                if (!(s.init() && r.iterative()) && !plan.alwaysInRange(ix, r)) inRange = b.and(inRange, within(pos, t.dims().get(k)));
                off = b.add(off, b.mul(pos, t.strides().get(k)));
            }
            String join = inRange.equals("true") ? null : b.ifThen(inRange);
            b.store("float", value, b.gep("float", t.data(), off));
            if (t.present() != null)
                b.store("i8", present.equals("true") ? "1" : present.equals("false") ? "0" : b.let("zext i1 " + present + " to i8"),
                        b.gep("i8", t.present(), off));
            if (join != null) b.endIf(join);
        }

        private String within(String pos, String dim) {
            String lo = b.let("icmp sge i64 " + pos + ", 0");
            String hi = b.let("icmp slt i64 " + pos + ", " + dim);
            return b.and(lo, hi);
        }

        Value number(Expr e) {
            Value v = lower(e);
            if (!v.cond()) return v;
            return new Value(b.let("uitofp i1 " + v.v() + " to float"), false, v.miss(), v.abs());
        }

        String cond(Value v) {
            return v.cond() ? v.v() : b.let("fcmp une float " + v.v() + ", 0.0");
        }

        Value lower(Expr e) {
            return switch (e) {
                case Expr.Const(double x) -> plain(IrBuilder.f32(x));
                case Expr.ParamRef(String n) -> {
                    String p = par.get(n);
                    if (p == null) throw new IllegalStateException("parameter '" + n + "' has no value here");
                    yield plain(p);
                }
                case Expr.ExtentRef(String ix) -> plain(b.let("sitofp i64 " + ext.get(ix) + " to float"));
                case Expr.IndexValue(String ix) -> plain(b.let("sitofp i64 " + env.get(ix) + " to float"));
                case Expr.Access a -> access(a);
                case Expr.Unary(Expr.Fn fn, Expr x) -> unary(fn, x);
                case Expr.Binary(Expr.Op op, Expr x, Expr y) -> binary(op, x, y);
                case Expr.Select(Expr cnd, Expr x, Expr y) -> {
                    Value cv = lower(cnd), xv = number(x), yv = number(y);
                    String ch = cond(cv);
                    yield new Value(b.select(ch, "float", xv.v(), yv.v()), false,
                            b.or(cv.miss(), b.select(ch, "i1", xv.miss(), yv.miss())),
                            b.or(cv.abs(), b.select(ch, "i1", xv.abs(), yv.abs())));
                }
            };
        }

        private Value plain(String v) {
            return new Value(v, false, "false", "false");
        }

        private Value access(Expr.Access a) {
            Storage t = storage.get(a.tensor());
            if (t == null) throw new IllegalStateException("no storage for tensor '" + a.tensor() + "'");
            TensorDecl d = t.decl();
            String off = "0", inRange = "true";
            for (int k = 0; k < d.arity(); k++) {
                IndexExpr ix = a.indices().get(k);
                String pos = index(ix);
                if (!plan.alwaysInRange(ix, d.ranks().get(k))) inRange = b.and(inRange, within(pos, t.dims().get(k)));
                off = b.add(off, b.mul(pos, t.strides().get(k)));
            }
            String safe = b.select(inRange, "i64", off, "0");
            String v = b.load("float", b.gep("float", t.data(), safe));
            String abs = "false";
            if (t.present() != null) {
                String flag = b.load("i8", b.gep("i8", t.present(), safe));
                abs = b.let("icmp eq i8 " + flag + ", 0");
            }
            return new Value(v, false, b.not(inRange), abs);
        }

        private Value unary(Expr.Fn fn, Expr arg) {
            if (fn == Expr.Fn.NOT) {
                Value x = lower(arg);
                return new Value(b.not(cond(x)), true, x.miss(), x.abs());
            }
            Value x = number(arg);
            String v = x.v();
            String r = switch (fn) {
                case NEG -> b.let("fneg float " + v);
                case EXP -> exp(v);
                case LOG -> math("logf", v);
                case SQRT -> math("llvm.sqrt.f32", v);
                case RSQRT -> rsqrt(v);
                case TANH -> math("tanhf", v);
                case SIGMOID -> {
                    String e = exp(b.let("fneg float " + v));
                    yield b.let("fdiv " + IrBuilder.FM + " float 1.0, " + b.let("fadd " + IrBuilder.FM + " float 1.0, " + e));
                }
                case SOFTPLUS -> {
                    // max(x, 0) + log1p(exp(-|x|)): stable for both signs
                    String e = exp(b.let("fneg float " + math("llvm.fabs.f32", v)));
                    String pos = math("llvm.maxnum.f32", v, "0.0");
                    yield b.let("fadd " + IrBuilder.FM + " float " + pos + ", " + math("log1pf", e));
                }
                case RELU -> math("llvm.maximum.f32", v, "0.0"); // NaN stays NaN, as Math.max(0, x)
                case ELU -> b.select(b.let("fcmp ogt float " + v + ", 0.0"), "float", v, math("expm1f", v));
                case ABS -> math("llvm.fabs.f32", v);
                case SIGN -> {
                    String neg = b.select(b.let("fcmp olt float " + v + ", 0.0"), "float", "-1.0", v);
                    yield b.select(b.let("fcmp ogt float " + v + ", 0.0"), "float", "1.0", neg);
                }
                case NOT -> throw new AssertionError("handled above");
            };
            return new Value(r, false, x.miss(), x.abs());
        }

        private String exp(String v) {
            return b.let("call " + IrBuilder.FM + " float @einc.exp(float " + v + ")");
        }

        /**
         * 1 / sqrt(x) divided exactly: under the fast-math flags LLVM turns it into the rsqrt
         * estimate and a Newton step, which gives NaN at 0 (want +inf), -0 (-inf) and +inf (0).
         */
        private String rsqrt(String v) {
            usedMath.add("declare float @llvm.sqrt.f32(float)");
            return b.let("fdiv float 1.0, " + b.let("call float @llvm.sqrt.f32(float " + v + ")"));
        }

        private Value binary(Expr.Op op, Expr x, Expr y) {
            if (op.isLogic()) {
                Value a = lower(x), bv = lower(y);
                String av = cond(a), bc = cond(bv);
                String decided = op == Expr.Op.AND ? b.not(av) : av;
                String useA = b.or(b.or(a.miss(), a.abs()), decided);
                return new Value(b.select(useA, "i1", av, bc), true,
                        b.select(useA, "i1", a.miss(), bv.miss()), b.select(useA, "i1", a.abs(), bv.abs()));
            }
            Value a = number(x), bv = number(y);
            String miss = b.or(a.miss(), bv.miss()), abs = b.or(a.abs(), bv.abs());
            String l = a.v(), r = bv.v();
            if (op.isComparison()) {
                String pred = IrBuilder.fcmp(op);
                return new Value(b.let("fcmp " + pred + " float " + l + ", " + r), true, miss, abs);
            }
            String v = switch (op) {
                case ADD -> b.let("fadd " + IrBuilder.FM + " float " + l + ", " + r);
                case SUB -> b.let("fsub " + IrBuilder.FM + " float " + l + ", " + r);
                case MUL -> b.let("fmul " + IrBuilder.FM + " float " + l + ", " + r);
                case DIV -> b.let("fdiv " + IrBuilder.FM + " float " + l + ", " + r);
                case MIN -> math("llvm.minimum.f32", l, r);
                case MAX -> math("llvm.maximum.f32", l, r);
                case POW -> math("powf", l, r);
                default -> throw new AssertionError(op);
            };
            return new Value(v, false, miss, abs);
        }

        /** Calls a float function of the C library or an LLVM intrinsic, declaring it once. */
        private String math(String fn, String... argv) {
            String params = String.join(", ", java.util.Collections.nCopies(argv.length, "float"));
            usedMath.add("declare float @" + fn + "(" + params + ")");
            StringBuilder call = new StringBuilder("call " + IrBuilder.FM + " float @" + fn + "(");
            for (int k = 0; k < argv.length; k++) call.append(k == 0 ? "" : ", ").append("float ").append(argv[k]);
            return b.let(call.append(")").toString());
        }

        /** An integer index expression as i64, with floor division and modulo (0 when dividing by 0). */
        String index(IndexExpr e) {
            return b.index(e, env, ext, "this loop nest");
        }
    }
}
