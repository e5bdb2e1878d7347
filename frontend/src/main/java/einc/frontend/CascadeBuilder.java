package einc.frontend;

import einc.grammar.EinParser;
import einc.grammar.EinParser.AccessExprContext;
import einc.grammar.EinParser.AddExprContext;
import einc.grammar.EinParser.BatchItemContext;
import einc.grammar.EinParser.CascadeContext;
import einc.grammar.EinParser.ExprContext;
import einc.grammar.EinParser.InitItemContext;
import einc.grammar.EinParser.InputItemContext;
import einc.grammar.EinParser.ItemContext;
import einc.grammar.EinParser.MulExprContext;
import einc.grammar.EinParser.NameExprContext;
import einc.grammar.EinParser.NumberExprContext;
import einc.grammar.EinParser.OutputItemContext;
import einc.grammar.EinParser.ParamItemContext;
import einc.grammar.EinParser.ParenExprContext;
import einc.grammar.EinParser.ReduceExprContext;
import einc.grammar.EinParser.SplitItemContext;
import einc.grammar.EinParser.StatementItemContext;
import einc.grammar.EinParser.TargetContext;
import einc.grammar.EinParser.TargetIndexContext;
import einc.grammar.EinParser.TensorDeclContext;
import einc.grammar.EinParser.UnaryExprContext;
import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.DType;
import einc.ir.Diagnostic;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Param;
import einc.ir.Rank;
import einc.ir.Span;
import einc.ir.Split;
import einc.ir.TensorDecl;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.Interval;
import org.antlr.v4.runtime.tree.ParseTree;

/**
 * Builds the IR of one syntactically valid cascade and checks every rule of LANGUAGE.md, adding a
 * diagnostic per mistake (and avoiding follow-on errors of one mistake). Batch ranks are made
 * explicit, indices get their extent classes, reductions their index lists (docs/SEMANTICS.md).
 */
final class CascadeBuilder {

    /** What a built expression yields; ERROR silences follow-on type errors. */
    enum Kind { NUMBER, CONDITION, ERROR }

    /** A built expression and what it yields. */
    record Typed(Expr expr, Kind kind) {}

    /** Where an expression stands, which decides what its names may mean. */
    enum Mode { BODY, WHERE, PARAM }

    /** A tensor of the cascade as the builder learns about it. */
    private static final class TensorInfo {
        final String name;
        final TensorDecl.Role role;
        final Span span;
        final DType type;
        List<Rank> ranks;          // null when unknown (its declaration had errors)
        boolean assigned;          // by its (non-init) statement
        Span initSpan;             // its init, if any
        boolean steps;             // its statement writes 'r + 1'
        Span statementSpan;
        boolean quiet;             // a mistake in its recurrence or init was reported: no follow-ons

        TensorInfo(String name, TensorDecl.Role role, List<Rank> ranks, DType type, Span span) {
            this.name = name;
            this.role = role;
            this.ranks = ranks;
            this.type = type;
            this.span = span;
        }

        boolean readable() {
            return role == TensorDecl.Role.INPUT || assigned || initSpan != null;
        }
    }

    /** A built statement with what the recurrence check needs. */
    private record Built(Einsum einsum, Set<String> space, boolean lhsTwoIterative) {}

    private final Spans spans;
    private final List<Diagnostic> diags;
    private final int errorsBefore;

    private final List<String> batch = new ArrayList<>();
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    private final Map<String, Span> declared = new LinkedHashMap<>();      // tensor and param names
    private final Map<String, ParamItemContext> paramItems = new LinkedHashMap<>();
    private final Map<String, Param> params = new LinkedHashMap<>();
    private final Map<String, Span> targets = new LinkedHashMap<>();       // names assigned anywhere, first target
    private final Map<String, Span> statementTargets = new LinkedHashMap<>(); // names assigned by a statement (not an init)
    private final Map<String, Span> inits = new LinkedHashMap<>();
    private final Map<String, Span> known = new LinkedHashMap<>();         // index names, first use
    private final Map<String, String> extents = new LinkedHashMap<>();     // extent name -> index
    private final Set<String> inputRanks = new LinkedHashSet<>();
    private final Map<String, Split> splitOf = new LinkedHashMap<>();      // split part -> split
    private final List<Split> splits = new ArrayList<>();
    private final IndexClasses classes = new IndexClasses();
    private final Set<String> excused = new LinkedHashSet<>();
    private final List<TensorDecl> intermediates = new ArrayList<>();
    private final List<Built> built = new ArrayList<>();
    private final Set<String> quietInits = new LinkedHashSet<>();
    private final Map<String, StepsOutput> stepsOutputs = new LinkedHashMap<>(); // output -> its recurrence
    private final Map<TargetContext, String> redirected = new LinkedHashMap<>();  // init and step of such an output

    /**
     * An output assigned by a recurrence ({@code output S[p]}, {@code S[m + 1, p] = ...}): the
     * recurrence runs on the intermediate {@code steps}, whose arity is {@code stepsArity} as written,
     * and the output is its final entry {@code steps[M, p]}, assigned right after the recurrence.
     */
    private static final class StepsOutput {
        final String output;
        final String steps;
        final int stepsArity;
        String index;              // the iterative index, once the stepping statement is built
        Span stepSpan;
        boolean done;

        StepsOutput(String output, String steps, int stepsArity) {
            this.output = output;
            this.steps = steps;
            this.stepsArity = stepsArity;
        }
    }

    // per expression
    private Mode mode = Mode.BODY;
    private String currentParam;
    private int reductionsSeen;
    private boolean topReduction;
    private String currentTarget;
    private boolean currentSteps;

    CascadeBuilder(Spans spans, List<Diagnostic> diags) {
        this.spans = spans;
        this.diags = diags;
        this.errorsBefore = diags.size();
    }

    Cascade build(CascadeContext ctx) {
        List<ItemContext> items = ctx.item();
        for (ItemContext item : items) if (item instanceof BatchItemContext b) batch(b);
        for (ItemContext item : items) {
            switch (item) {
                case InputItemContext in -> in.tensorDecl().forEach(d -> declareTensor(d, TensorDecl.Role.INPUT));
                case OutputItemContext out -> out.tensorDecl().forEach(d -> declareTensor(d, TensorDecl.Role.OUTPUT));
                case ParamItemContext p -> declareParam(p);
                default -> {}
            }
        }
        collectTargets(items);
        collectStepsOutputs(items);
        collectIndices(ctx);
        for (ItemContext item : items) if (item instanceof SplitItemContext s) split(s);
        checkNameClashes();
        for (var e : paramItems.entrySet()) paramDefault(e.getKey(), e.getValue());
        for (ItemContext item : items) {
            switch (item) {
                case InitItemContext i -> statement(i, i.target(), i.expr(0), i.cond, true);
                case StatementItemContext s -> {
                    finishStepsOutputs(s);
                    statement(s, s.target(), s.expr(0), s.cond, false);
                }
                default -> {}
            }
        }
        finishStepsOutputs(null);
        checkOutputsAndInits();
        checkRecurrences();
        List<IndexDef> indexDefs = indexDefs();
        List<TensorDecl> inputs = new ArrayList<>();
        List<TensorDecl> outputs = new ArrayList<>();
        for (TensorInfo t : tensors.values()) {
            if (t.role == TensorDecl.Role.INTERMEDIATE) continue;
            TensorDecl d = new TensorDecl(t.name, t.ranks == null ? List.of() : t.ranks, t.type, t.role, t.span);
            (t.role == TensorDecl.Role.INPUT ? inputs : outputs).add(d);
        }
        return new Cascade(ctx.name.getText(), batch, inputs, outputs, intermediates, new ArrayList<>(params.values()),
                splits, indexDefs, built.stream().map(Built::einsum).toList(), spans.of(ctx));
    }

    boolean hadErrors() {
        return diags.size() > errorsBefore;
    }

    // ------------------------------------------------------------------ declarations

    private void batch(BatchItemContext b) {
        if (!batch.isEmpty() || b.ID().isEmpty()) {
            if (!batch.isEmpty()) {
                error(spans.of(b.BATCH().getSymbol()), Code.DUPLICATE_NAME, "batch")
                        .hint("declare every batch rank on one line: batch b, h");
                return;
            }
        }
        for (var id : b.ID()) {
            String n = id.getText();
            Span at = spans.of(id.getSymbol());
            if (!isLowerCase(n)) {
                error(at, Code.INDEX_NOT_LOWER_CASE, n).hint("write '" + n.toLowerCase(Locale.ROOT) + "'; its extent is then '" + IndexDef.extentName(n) + "'");
                continue;
            }
            if (batch.contains(n)) {
                error(at, Code.DUPLICATE_INDEX, n, "the batch list").hint("name each batch rank once");
                continue;
            }
            batch.add(n);
            addIndex(n, at);
        }
    }

    private void declareTensor(TensorDeclContext d, TensorDecl.Role role) {
        String name = d.name.getText();
        Span at = spans.of(d.name);
        DType type = DType.F32;
        if (d.type != null) {
            type = DType.parse(d.type.getText());
            if (type == null) {
                error(spans.of(d.type), Code.UNKNOWN_TYPE, d.type.getText()).hint("types are f32 (the default), f16, bf16 and f64");
                type = DType.F32;
            }
        }
        if (!declareName(name, at)) return;
        List<String> written = new ArrayList<>();
        boolean ok = true;
        for (var id : ids(d.names())) {
            String ix = id.getText();
            Span ixAt = spans.of(id.getSymbol());
            if (!isLowerCase(ix)) {
                error(ixAt, Code.INDEX_NOT_LOWER_CASE, ix).hint("write '" + ix.toLowerCase(Locale.ROOT) + "'; an index is lower case and its extent is the same name in upper case");
                ok = false;
                continue;
            }
            if (written.contains(ix)) {
                error(ixAt, Code.DUPLICATE_INDEX, ix, "'" + name + "'").hint("every rank of a tensor has its own index: " + name + "[i, j]");
                ok = false;
                continue;
            }
            written.add(ix);
            addIndex(ix, ixAt);
        }
        List<Rank> ranks = withBatch(written, List.of()).stream().map(Rank::of).toList();
        if (role == TensorDecl.Role.INPUT && ok) ranks.forEach(r -> inputRanks.add(r.index()));
        if (role == TensorDecl.Role.INPUT && !ok) written.forEach(excused::add);
        tensors.put(name, new TensorInfo(name, role, ok ? ranks : null, type, at));
    }

    /** The ranks of a tensor written with {@code written}: batch ranks first unless it names one. */
    private List<String> withBatch(List<String> written, List<String> extra) {
        for (String w : written) if (batch.contains(w)) return written;
        List<String> all = new ArrayList<>(batch);
        all.addAll(written);
        return all;
    }

    private boolean declareName(String name, Span at) {
        Span first = declared.get(name);
        if (first != null) {
            error(at, Code.DUPLICATE_NAME, name).hint("give it another name").note("first declared at line " + first.line());
            return false;
        }
        declared.put(name, at);
        return true;
    }

    private void declareParam(ParamItemContext p) {
        String name = p.name.getText();
        if (!declareName(name, spans.of(p.name))) return;
        paramItems.put(name, p);
    }

    private void paramDefault(String name, ParamItemContext p) {
        Expr value = null;
        if (p.expr() != null) {
            mode = Mode.PARAM;
            currentParam = name;
            Typed t = build(p.expr());
            value = requireNumber(t, p.expr(), "the default of a parameter").expr();
            mode = Mode.BODY;
        }
        params.put(name, new Param(name, value, spans.of(p)));
    }

    /** The left-hand side of an init or a statement; null for any other item. */
    private static TargetContext targetOf(ItemContext item) {
        return switch (item) {
            case InitItemContext i -> i.target();
            case StatementItemContext s -> s.target();
            default -> null;
        };
    }

    private void collectTargets(List<ItemContext> items) {
        for (ItemContext item : items) {
            TargetContext t = targetOf(item);
            if (t == null) continue;
            targets.putIfAbsent(t.name.getText(), spans.of(t.name));
            if (item instanceof InitItemContext) inits.putIfAbsent(t.name.getText(), spans.of(item));
            else statementTargets.putIfAbsent(t.name.getText(), spans.of(t.name));
        }
    }

    /**
     * Finds the outputs assigned by a recurrence: an init or a statement writing {@code r + 1}
     * whose left-hand side has one position more than the output's ranks (LANGUAGE.md §7: the
     * output's value is the final entry). Their init and step write a hidden intermediate instead.
     */
    private void collectStepsOutputs(List<ItemContext> items) {
        for (ItemContext item : items) {
            TargetContext tc = targetOf(item);
            if (tc == null) continue;
            TensorInfo t = tensors.get(tc.name.getText());
            if (t == null || t.role != TensorDecl.Role.OUTPUT || t.ranks == null) continue;
            boolean stepping = item instanceof InitItemContext;
            for (TargetIndexContext p : tc.targetIndex()) {
                if (p.value == null && p.expr(0) instanceof AddExprContext add && add.op.getType() == EinParser.PLUS
                        && add.expr(0) instanceof NameExprContext && add.expr(1) instanceof NumberExprContext one && one.getText().equals("1")) stepping = true;
            }
            int k = tc.targetIndex().size() - 1;
            int arity = t.ranks.size();
            boolean fits = k == arity;
            if (k >= 0 && k < arity) {
                fits = true;
                for (int i = 0; i < arity - k; i++) if (!batch.contains(t.ranks.get(i).index())) fits = false;
            }
            if (!stepping || !fits) continue;
            StepsOutput so = stepsOutputs.get(t.name);
            if (so == null) {
                String hidden = t.name + "_steps";
                for (int i = 2; declared.containsKey(hidden) || targets.containsKey(hidden) || known.containsKey(hidden); i++) hidden = t.name + "_steps" + i;
                so = new StepsOutput(t.name, hidden, k + 1);
                stepsOutputs.put(t.name, so);
                targets.putIfAbsent(hidden, spans.of(tc.name));
                if (item instanceof InitItemContext) inits.putIfAbsent(hidden, spans.of(item));
                else statementTargets.putIfAbsent(hidden, spans.of(tc.name));
            } else if (!(item instanceof InitItemContext)) {
                statementTargets.putIfAbsent(so.steps, spans.of(tc.name));
            }
            redirected.put(tc, so.steps);
        }
    }

    /**
     * Assigns each output whose recurrence has ended before {@code next} (a statement that does
     * not name the iterative index; null: the end of the cascade) from the final entry:
     * {@code S[p] = S_steps[M, p]}.
     */
    private void finishStepsOutputs(StatementItemContext next) {
        for (StepsOutput so : stepsOutputs.values()) {
            if (so.done || so.index == null) continue;
            if (next != null && namesIn(next).contains(so.index)) continue;
            so.done = true;
            TensorInfo out = tensors.get(so.output);
            TensorInfo steps = tensors.get(so.steps);
            if (out == null || steps == null || steps.ranks == null || out.ranks == null) continue;
            List<Rank> kept = steps.ranks.stream().filter(r -> !r.iterative()).toList();
            if (kept.size() != out.ranks.size()) {
                arityError(so.stepSpan, out, kept.size());
                continue;
            }
            List<IndexExpr> target = new ArrayList<>();
            List<IndexExpr> read = new ArrayList<>();
            int k = 0;
            for (Rank r : steps.ranks) {
                if (r.iterative()) {
                    read.add(new IndexExpr.Ext(r.index()));
                    continue;
                }
                String declaredIndex = out.ranks.get(k).index();
                unify(r.index(), declaredIndex, so.stepSpan, so.output, k);
                read.add(IndexExpr.idx(declaredIndex));
                k++;
            }
            for (Rank r : out.ranks) target.add(IndexExpr.idx(r.index()));
            Einsum e = new Einsum(new Expr.Access(so.output, target), new Expr.Access(so.steps, read), null, null, false, so.stepSpan);
            out.assigned = true;
            out.statementSpan = so.stepSpan;
            built.add(new Built(e, new LinkedHashSet<>(e.space()), false));
        }
    }

    /** The names a statement mentions (indices among them), from its parse tree. */
    private static Set<String> namesIn(ParseTree node) {
        Set<String> out = new LinkedHashSet<>();
        if (node instanceof NameExprContext n) out.add(n.name.getText());
        for (int i = 0; i < node.getChildCount(); i++) out.addAll(namesIn(node.getChild(i)));
        return out;
    }

    /** Every name written at a plain position of an access or a left-hand side is an index. */
    private void collectIndices(ParseTree node) {
        if (node instanceof AccessExprContext a) {
            for (ExprContext e : a.expr()) {
                if (e instanceof NameExprContext n && isIndexCandidate(n.name.getText())) addIndex(n.name.getText(), spans.of(n.name));
            }
        } else if (node instanceof TargetIndexContext ti) {
            ExprContext e = ti.expr(0);
            if (e instanceof AddExprContext add) e = add.expr(0);
            if (e instanceof NameExprContext n && isIndexCandidate(n.name.getText())) addIndex(n.name.getText(), spans.of(n.name));
        }
        for (int i = 0; i < node.getChildCount(); i++) collectIndices(node.getChild(i));
    }

    private boolean isIndexCandidate(String n) {
        return isLowerCase(n) && !declared.containsKey(n) && !targets.containsKey(n);
    }

    private void addIndex(String name, Span at) {
        if (known.containsKey(name)) return;
        known.put(name, at);
        classes.add(name);
        extents.putIfAbsent(IndexDef.extentName(name), name);
    }

    private void split(SplitItemContext s) {
        String parent = s.parent.getText();
        String outer = s.outer.getText();
        String inner = s.inner.getText();
        boolean ok = true;
        boolean partsOk = true;
        if (!known.containsKey(parent)) {
            String dym = Suggestions.didYouMean(parent, known.keySet());
            error(spans.of(s.parent), Code.UNKNOWN_INDEX, parent)
                    .hint((dym == null ? "" : dym + " ") + "a split partitions an index used at a rank of a tensor");
            ok = false;
        }
        for (Token part : List.of(s.outer, s.inner)) {
            String n = part.getText();
            if (!isLowerCase(n)) {
                error(spans.of(part), Code.INDEX_NOT_LOWER_CASE, n).hint("write '" + n.toLowerCase(Locale.ROOT) + "'");
                ok = false;
                partsOk = false;
            } else if (n.equals(parent) || splitOf.containsKey(n) || (part == s.inner && n.equals(outer))) {
                error(spans.of(part), Code.DUPLICATE_NAME, n).hint("the parts of a split are two new indices, e.g. split m = (m1, m0) by 64");
                ok = false;
                partsOk = false;
            } else if (inputRanks.contains(n) || batch.contains(n)) {
                error(spans.of(part), Code.BAD_SPLIT, "split part '" + n + "' is already a rank of an input")
                        .hint("name the parts of a split with new indices, e.g. " + parent + "1 and " + parent + "0");
                ok = false;
                partsOk = false;
            }
        }
        IndexExpr tile = index(s.expr());
        if (tile != null && !indicesOf(tile).isEmpty()) {
            error(spans.of(s.expr()), Code.BAD_SPLIT, "the tile of a split must be a constant, not '" + text(s.expr()) + "'")
                    .hint("write a positive integer or an expression of extents and integers, e.g. by 64");
            ok = false;
        } else if (tile != null) {
            Long v = constant(tile);
            if (v != null && v <= 0) {
                error(spans.of(s.expr()), Code.BAD_SPLIT, "the tile of a split must be positive, not " + v).hint("split by a positive integer, e.g. by 64");
                ok = false;
            }
        }
        if (!ok || tile == null) {
            excused.add(outer);
            excused.add(inner);
            if (partsOk) {
                // a bad parent or tile is reported once: the parts stay indices, so their uses raise no follow-on errors
                addIndex(outer, spans.of(s.outer));
                addIndex(inner, spans.of(s.inner));
            }
            return;
        }
        Split split = new Split(parent, outer, inner, tile, spans.of(s));
        splits.add(split);
        splitOf.put(outer, split);
        splitOf.put(inner, split);
        addIndex(outer, spans.of(s.outer));
        addIndex(inner, spans.of(s.inner));
        Long v = constant(tile);
        if (v != null) classes.setKnown(inner, new IndexClasses.Known(v, "split of '" + parent + "'"));
    }

    private void checkNameClashes() {
        Map<String, Span> names = new LinkedHashMap<>(declared);
        targets.forEach(names::putIfAbsent);
        names.forEach((name, at) -> {
            String kind = paramItems.containsKey(name) ? "parameter" : "tensor";
            String index = extents.get(name);
            if (index != null && !index.equals(name)) {
                error(at, Code.NAME_CLASHES_WITH_EXTENT, kind, name, index)
                        .hint("rename the " + kind + " or the index: '" + name + "' is the extent of '" + index + "'");
            } else if (known.containsKey(name)) {
                error(at, Code.NAME_CLASHES_WITH_INDEX, kind, name).hint("rename the " + kind + " or the index '" + name + "'");
            }
        });
    }

    // ------------------------------------------------------------------ statements

    private void statement(ParserRuleContext whole, TargetContext tctx, ExprContext bodyCtx, ExprContext condCtx, boolean init) {
        String name = redirected.getOrDefault(tctx, tctx.name.getText());
        Span nameAt = spans.of(tctx.name);
        Span at = spans.of(whole);
        TensorInfo t = tensors.get(name);
        boolean record = true;
        if (paramItems.containsKey(name)) {
            error(nameAt, Code.BAD_TARGET, "parameter '" + name + "' cannot be assigned").hint("assign a tensor; parameters are given at run time or by their default");
            record = false;
        } else if (t != null && t.role == TensorDecl.Role.INPUT) {
            error(nameAt, Code.ASSIGN_TO_INPUT, name).hint("assign a new intermediate or an output instead");
            record = false;
        }

        // the left-hand side, position by position
        List<String> written = new ArrayList<>();
        List<Boolean> iterative = new ArrayList<>();
        boolean lhsOk = true;
        int steps = 0;
        List<TargetIndexContext> positions = tctx.targetIndex();
        for (TargetIndexContext p : positions) {
            String ix = null;
            boolean iter = false;
            if (p.value != null) {
                if (!init) {
                    error(spans.of(p), Code.BAD_TARGET, "'" + text(p) + "' is only valid in an init")
                            .hint("a statement writes plain indices, or 'r + 1' for an iterative rank");
                } else if (p.expr(0) instanceof NameExprContext n && p.value instanceof NumberExprContext v && v.getText().equals("0")) {
                    ix = n.name.getText();
                    iter = true;
                } else {
                    error(spans.of(p), Code.BAD_INIT, "an init fixes its iterative rank to 0, not '" + text(p) + "'").hint("write 'r = 0' at the iterative rank");
                }
            } else if (p.expr(0) instanceof NameExprContext n) {
                ix = n.name.getText();
            } else if (p.expr(0) instanceof AddExprContext add && add.op.getType() == EinParser.PLUS
                    && add.expr(0) instanceof NameExprContext n && add.expr(1) instanceof NumberExprContext one && one.getText().equals("1")) {
                if (init) {
                    error(spans.of(p), Code.BAD_INIT, "an init writes entry 0 of its iterative rank, not '" + text(p) + "'")
                            .hint("write '" + n.name.getText() + " = 0'");
                } else {
                    ix = n.name.getText();
                    iter = true;
                }
            } else {
                error(spans.of(p), Code.BAD_TARGET, "a left-hand side position must be a plain index, not '" + text(p) + "'")
                        .hint("write plain indices (and 'r + 1' for an iterative rank); shift or mask on the right-hand side instead");
            }
            if (ix != null && !isLowerCase(ix)) {
                if (extents.containsKey(ix) || declared.containsKey(ix) || targets.containsKey(ix)) {
                    error(spans.of(p), Code.BAD_TARGET, "a left-hand side position must be an index, not '" + ix + "'")
                            .hint("write plain lower-case indices on the left");
                } else {
                    error(spans.of(p), Code.INDEX_NOT_LOWER_CASE, ix).hint("write '" + ix.toLowerCase(Locale.ROOT) + "'");
                }
                ix = null;
            } else if (ix != null && !known.containsKey(ix)) {
                error(spans.of(p), Code.BAD_TARGET, "'" + ix + "' is a " + (paramItems.containsKey(ix) ? "parameter" : "tensor") + ", not an index")
                        .hint("write indices on the left-hand side");
                ix = null;
            } else if (ix != null && written.contains(ix)) {
                error(spans.of(p), Code.DUPLICATE_INDEX, ix, "the left-hand side").hint("every rank of the left-hand side has its own index");
                ix = null;
            }
            if (ix == null) {
                lhsOk = false;
                continue;
            }
            if (iter) steps++;
            written.add(ix);
            iterative.add(iter);
        }
        if (steps > 1) {
            error(spans.of(tctx), Code.BAD_RECURRENCE, "a statement may step one iterative rank; this one steps " + steps)
                    .hint("write 'r + 1' at one rank only; give each recurrence its own tensors");
        }
        if (init && steps == 0 && lhsOk) {
            error(spans.of(tctx), Code.BAD_INIT, "an init must fix an iterative rank to 0")
                    .hint("write 'init " + name + "[r = 0, ...] = EXPR', or drop 'init' for a plain statement");
            lhsOk = false;
        }
        if (!lhsOk) written.forEach(excused::add);
        if (init && !lhsOk && tensors.get(name) == null && record) {
            quietInits.add(name);
        }

        // the target tensor: declared now, or checked against its declaration
        List<IndexExpr> full = null;
        if (record && t == null) {
            // a new intermediate, declared by this (first) assignment
            if (!init && steps > 0) {
                Span initAt = inits.get(name);
                if (initAt != null) {
                    error(nameAt, Code.BAD_INIT, "the init of '" + name + "' (line " + initAt.line() + ") must come before its recurrence")
                            .hint("move the init before this statement");
                } else {
                    String shown = tctx.name.getText();
                    error(nameAt, Code.BAD_RECURRENCE, "iterative tensor '" + shown + "' has no init")
                            .hint("give its entry 0 before this statement: init " + shown + "[r = 0, ...] = EXPR");
                }
            }
            List<Rank> ranks = null;
            if (lhsOk) {
                List<String> all = withBatch(written, List.of());
                int offset = all.size() - written.size();
                List<Rank> r = new ArrayList<>();
                for (int i = 0; i < all.size(); i++) r.add(new Rank(all.get(i), i >= offset && iterative.get(i - offset)));
                ranks = r;
            }
            t = new TensorInfo(name, TensorDecl.Role.INTERMEDIATE, ranks, DType.F32, nameAt);
            t.quiet = quietInits.contains(name) || (!init && steps > 0);
            tensors.put(name, t);
            if (ranks != null) intermediates.add(new TensorDecl(name, ranks, DType.F32, TensorDecl.Role.INTERMEDIATE, nameAt));
        } else if (record) {
            if (init) {
                if (t.initSpan != null) {
                    error(nameAt, Code.BAD_INIT, "'" + name + "' has two inits").hint("give entry 0 once").note("the first init is at line " + t.initSpan.line());
                    record = false;
                } else if (t.role == TensorDecl.Role.OUTPUT) {
                    error(nameAt, Code.BAD_INIT, "output '" + name + "' declares the rank its recurrence iterates")
                            .hint("declare the output without its iterative rank: an output assigned by a recurrence (init " + name + "[r = 0, ...], "
                                    + name + "[r + 1, ...] = ...) is its final entry " + name + "[R, ...]");
                    t.quiet = true;
                    record = false;
                } else if (t.assigned) {
                    // the recurrence came first and was reported there
                    record = false;
                }
            } else if (t.assigned) {
                error(nameAt, Code.ASSIGNED_TWICE, name).hint("a tensor is assigned by one statement (plus its init); give this one another name")
                        .note("first assigned at line " + t.statementSpan.line());
                record = false;
            } else if (t.role == TensorDecl.Role.OUTPUT && steps > 0) {
                error(nameAt, Code.BAD_RECURRENCE, "output '" + name + "' declares the rank its recurrence iterates")
                        .hint("declare the output without its iterative rank: an output assigned by a recurrence (init " + name + "[r = 0, ...], "
                                    + name + "[r + 1, ...] = ...) is its final entry " + name + "[R, ...]");
                t.quiet = true;
                record = false;
            }
        }
        if (t != null && t.ranks != null && lhsOk && (record || !init)) {
            full = fill(t, written.stream().map(IndexExpr::idx).map(IndexExpr.class::cast).toList());
            int clash = full == null ? -1 : filledBatchClash(full, written.size());
            if (full == null) {
                arityError(spans.of(tctx), t, written.size());
                written.forEach(excused::add);
                t.ranks.forEach(r -> excused.add(r.index()));
            } else if (clash >= 0) {
                String ix = written.get(clash);
                error(spans.of(positions.get(clash)), Code.DUPLICATE_INDEX, ix, "the left-hand side")
                        .hint("'" + ix + "' is a batch rank of '" + name + "', filled in before the ranks written here; use another index");
                written.forEach(excused::add);
                t.ranks.forEach(r -> excused.add(r.index()));
                full = null;
            } else {
                int offset = full.size() - written.size();
                for (int i = 0; i < written.size(); i++) {
                    Rank rank = t.ranks.get(offset + i);
                    if (iterative.get(i) != rank.iterative()) {
                        if (!t.quiet && record && t.initSpan != null && !init) {
                            int fixed = -1;
                            for (int k = 0; k < t.ranks.size(); k++) if (t.ranks.get(k).iterative()) fixed = k;
                            String fixedIndex = fixed < 0 ? "r" : t.ranks.get(fixed).index();
                            error(spans.of(positions.get(i)), Code.BAD_RECURRENCE, iterative.get(i)
                                    ? "rank " + (offset + i + 1) + " of '" + name + "' is not iterative: its init fixes rank " + (fixed + 1) + " to 0"
                                    : "rank " + (offset + i + 1) + " of '" + name + "' is iterative (its init fixes it to 0): write '" + rank.index() + " + 1'")
                                    .hint("step the rank the init fixes: '" + fixedIndex + " + 1' at rank " + (fixed + 1));
                        }
                        t.quiet = true;
                        written.forEach(excused::add);
                    } else if (iterative.get(i) && !rank.index().equals(written.get(i))) {
                        excused.add(written.get(i));
                        error(spans.of(positions.get(i)), Code.BAD_RECURRENCE, "'" + name + "' steps '" + rank.index() + "' (its init), not '" + written.get(i) + "'")
                                .hint("write '" + rank.index() + (init ? " = 0" : " + 1") + "'");
                    } else if (!iterative.get(i)) {
                        unify(written.get(i), rank.index(), spans.of(positions.get(i)), name, offset + i);
                    }
                }
                List<IndexExpr> target = new ArrayList<>(full.subList(0, offset));
                for (int i = 0; i < written.size(); i++) {
                    IndexExpr ix = IndexExpr.idx(written.get(i));
                    target.add(iterative.get(i) && !init ? new IndexExpr.IBin(IndexExpr.IOp.ADD, ix, new IndexExpr.Lit(1)) : ix);
                }
                full = target;
            }
        }

        // the right-hand side and the condition
        mode = Mode.BODY;
        reductionsSeen = 0;
        currentTarget = name;
        currentSteps = steps > 0;
        ExprContext top = stripParens(bodyCtx);
        ReduceExprContext reduce = top instanceof ReduceExprContext r ? r : null;
        topReduction = reduce != null;
        Typed body = build(reduce != null ? reduce.expr() : bodyCtx);
        boolean nestedReductions = reductionsSeen > 0;
        Expr bodyExpr = requireNumber(body, bodyCtx, "the right-hand side").expr();
        Expr where = null;
        if (condCtx != null) {
            mode = Mode.WHERE;
            topReduction = false;
            reductionsSeen = 0;
            Typed c = build(condCtx);
            where = requireCondition(c, condCtx, "a where clause").expr();
            mode = Mode.BODY;
        }
        currentTarget = null;

        // the reduction: indices of the space that are not on the left
        Expr.Access target = new Expr.Access(name, full != null ? full : written.stream().map(IndexExpr::idx).map(IndexExpr.class::cast).toList());
        Einsum plain = new Einsum(target, bodyExpr, null, where, init, at);
        Set<String> space = new LinkedHashSet<>(plain.space());
        if (init && t != null && t.ranks != null) {
            for (Rank r : t.ranks) {
                if (!r.iterative()) continue;
                space.remove(r.index());
                Set<String> read = new LinkedHashSet<>(Exprs.indices(bodyExpr));
                if (where != null) read.addAll(Exprs.indices(where));
                if (read.contains(r.index()) && record) {
                    error(condCtx != null && !Exprs.indices(bodyExpr).contains(r.index()) ? spans.of(condCtx) : spans.of(bodyCtx), Code.BAD_INIT,
                            "an init cannot read its iterative index '" + r.index() + "': it writes entry 0 only")
                            .hint("read entry 0 with the literal, e.g. X[0, ...], or compute the value in a statement before the recurrence");
                }
            }
        }
        List<String> reduced = new ArrayList<>(space);
        reduced.removeAll(plain.targetIndices());
        einc.ir.ReduceOp op = einc.ir.ReduceOp.SUM;
        if (reduce != null && !nestedReductions) {
            String opName = reduce.op.getText();
            op = einc.ir.ReduceOp.byName(opName);
            if (op == null) {
                error(spans.of(reduce.op), Code.UNKNOWN_REDUCTION, opName).hint("reduction operators are sum, max, min and prod");
                op = einc.ir.ReduceOp.SUM;
            } else {
                List<String> listed = ids(reduce.names()).stream().map(ParseTree::getText).toList();
                boolean listOk = true;
                for (var id : ids(reduce.names())) {
                    if (!known.containsKey(id.getText())) {
                        String dym = Suggestions.didYouMean(id.getText(), known.keySet());
                        error(spans.of(id.getSymbol()), Code.UNKNOWN_INDEX, id.getText()).hint(dym != null ? dym : "list the reduced indices: " + String.join(", ", reduced));
                        listOk = false;
                    }
                }
                if (listOk && (listed.size() != reduced.size() || !new LinkedHashSet<>(listed).equals(new LinkedHashSet<>(reduced)))) {
                    Span listAt = spans.between(spans.of(reduce.op), spans.of(reduce.RPAREN().getSymbol()));
                    error(listAt, Code.REDUCTION_MISMATCH, String.join(", ", listed), String.join(", ", reduced))
                            .hint(filledBatch(listed, written, full).isEmpty() ? (reduced.isEmpty()
                                    ? "no index is reduced here (every index is on the left); drop ':: " + opName + "(...)'"
                                    : "write ':: " + opName + "(" + String.join(", ", reduced) + ")': the indices of the right-hand side that are not on the left")
                                    : "'" + name + "' names no batch rank, so it has them all (" + String.join(", ", filledBatch(listed, written, full))
                                    + " are on its left); to reduce a batch rank, declare '" + name + "' with the batch ranks it keeps, e.g. "
                                    + name + "[" + batch.getFirst() + ", ...]");
                }
            }
        }
        Einsum einsum = new Einsum(target, bodyExpr, reduced.isEmpty() ? null : new einc.ir.Reduction(op, reduced), where, init, at);
        if (!record) return;
        if (t != null) {
            if (init) {
                t.initSpan = at;
            } else {
                t.assigned = true;
                t.steps = steps > 0;
                t.statementSpan = at;
            }
        }
        built.add(new Built(einsum, space, steps > 1));
        if (!init && steps == 1 && redirected.containsKey(tctx) && t != null && t.ranks != null) {
            StepsOutput so = stepsOutputs.get(tctx.name.getText());
            for (Rank r : t.ranks) if (r.iterative()) so.index = r.index();
            so.stepSpan = at;
        }
    }

    /** The batch ranks in {@code listed} that a left-hand side got without writing them. */
    private List<String> filledBatch(List<String> listed, List<String> written, List<IndexExpr> full) {
        if (full == null) return List.of();
        List<String> out = new ArrayList<>();
        for (IndexExpr ix : full) {
            String n = ix.plainIndex();
            if (n != null && batch.contains(n) && listed.contains(n) && !written.contains(n)) out.add(n);
        }
        return out;
    }

    /** The full positions of an access written with {@code written}: leading batch ranks may be left out. */
    private List<IndexExpr> fill(TensorInfo t, List<IndexExpr> written) {
        int arity = t.ranks.size();
        int missing = arity - written.size();
        if (missing < 0) return null;
        for (int i = 0; i < missing; i++) if (!batch.contains(t.ranks.get(i).index())) return null;
        // a plain index written at a batch rank must be a batch index: GM[p, m] for GM[b, h, p] is a mistake
        for (int i = missing; i < arity; i++) {
            String plain = written.get(i - missing).plainIndex();
            if (missing > 0 && batch.contains(t.ranks.get(i).index()) && plain != null && !batch.contains(plain)) return null;
        }
        List<IndexExpr> full = new ArrayList<>();
        for (int i = 0; i < missing; i++) full.add(IndexExpr.idx(t.ranks.get(i).index()));
        full.addAll(written);
        return full;
    }

    /** The written position whose index repeats a batch rank filled in before it, or -1. */
    private static int filledBatchClash(List<IndexExpr> full, int written) {
        int offset = full.size() - written;
        for (int i = offset; i < full.size(); i++) {
            if (full.subList(0, offset).contains(full.get(i))) return i - offset;
        }
        return -1;
    }

    private void arityError(Span at, TensorInfo t, int written) {
        List<String> names = t.ranks.stream().map(r -> r.iterative() ? r.index() : r.index()).toList();
        int lead = 0;
        while (lead < names.size() && batch.contains(names.get(lead))) lead++;
        String full = t.name + "[" + String.join(", ", names) + "]";
        String shortest = t.name + "[" + String.join(", ", names.subList(lead, names.size())) + "]";
        error(at, Code.ARITY_MISMATCH, t.name, t.ranks.size(), written)
                .hint(lead > 0 ? "write '" + shortest + "' or, with its batch ranks, '" + full + "'" : "write '" + full + "'");
    }

    private void unify(String index, String declaredIndex, Span at, String tensor, int rank) {
        IndexClasses.Conflict c = classes.union(declaredIndex, index);
        if (c != null) {
            error(at, Code.EXTENT_CONFLICT, index, c.b().value(), c.b().origin(), c.a().value(), "rank " + (rank + 1) + " of '" + tensor + "' (" + c.a().origin() + ")")
                    .hint("use an index with the same extent at rank " + (rank + 1) + " of '" + tensor + "'");
        }
    }

    // ------------------------------------------------------------------ expressions

    private Typed build(ExprContext ctx) {
        return new Values().visit(ctx);
    }

    /** Builds value expressions: every name resolved, every operand typed. */
    private final class Values extends einc.grammar.EinBaseVisitor<Typed> {

        @Override
        public Typed visitParenExpr(ParenExprContext ctx) {
            return visit(ctx.expr());
        }

        @Override
        public Typed visitNumberExpr(NumberExprContext ctx) {
            return new Typed(new Expr.Const(Double.parseDouble(ctx.getText())), Kind.NUMBER);
        }

        @Override
        public Typed visitInfExpr(EinParser.InfExprContext ctx) {
            return new Typed(new Expr.Const(Double.POSITIVE_INFINITY), Kind.NUMBER);
        }

        @Override
        public Typed visitUnaryExpr(UnaryExprContext ctx) {
            if (ctx.op.getType() == EinParser.MINUS) {
                if (ctx.expr() instanceof NumberExprContext n) return new Typed(new Expr.Const(-Double.parseDouble(n.getText())), Kind.NUMBER);
                if (ctx.expr() instanceof EinParser.InfExprContext) return new Typed(new Expr.Const(Double.NEGATIVE_INFINITY), Kind.NUMBER);
                Typed x = requireNumber(visit(ctx.expr()), ctx.expr(), "'-'");
                return new Typed(new Expr.Unary(Expr.Fn.NEG, x.expr()), combine(Kind.NUMBER, x));
            }
            Typed x = requireCondition(visit(ctx.expr()), ctx.expr(), "'!'");
            return new Typed(new Expr.Unary(Expr.Fn.NOT, x.expr()), combine(Kind.CONDITION, x));
        }

        @Override
        public Typed visitMulExpr(MulExprContext ctx) {
            if (ctx.op.getType() == EinParser.PERCENT) {
                visit(ctx.expr(0));
                visit(ctx.expr(1));
                error(spans.of(ctx.op), Code.TYPE_MISMATCH, "'%' is only valid in index positions")
                        .hint("write the modulo inside a tensor's brackets, e.g. X[p % 4]");
                return new Typed(new Expr.Const(0), Kind.ERROR);
            }
            return arithmetic(ctx, ctx.op.getType() == EinParser.STAR ? Expr.Op.MUL : Expr.Op.DIV, ctx.expr(0), ctx.expr(1));
        }

        @Override
        public Typed visitAddExpr(AddExprContext ctx) {
            return arithmetic(ctx, ctx.op.getType() == EinParser.PLUS ? Expr.Op.ADD : Expr.Op.SUB, ctx.expr(0), ctx.expr(1));
        }

        private Typed arithmetic(ParserRuleContext ctx, Expr.Op op, ExprContext l, ExprContext r) {
            String what = "'" + op.spelling + "'";
            Typed a = requireNumber(visit(l), l, what);
            Typed b = requireNumber(visit(r), r, what);
            return new Typed(new Expr.Binary(op, a.expr(), b.expr()), combine(Kind.NUMBER, a, b));
        }

        @Override
        public Typed visitCompareExpr(EinParser.CompareExprContext ctx) {
            Expr.Op op = switch (ctx.op.getType()) {
                case EinParser.LT -> Expr.Op.LT;
                case EinParser.LE -> Expr.Op.LE;
                case EinParser.GT -> Expr.Op.GT;
                case EinParser.GE -> Expr.Op.GE;
                case EinParser.EQ -> Expr.Op.EQ;
                default -> Expr.Op.NE;
            };
            String what = "'" + op.spelling + "'";
            Typed a = requireNumber(visit(ctx.expr(0)), ctx.expr(0), what);
            Typed b = requireNumber(visit(ctx.expr(1)), ctx.expr(1), what);
            return new Typed(new Expr.Binary(op, a.expr(), b.expr()), combine(Kind.CONDITION, a, b));
        }

        @Override
        public Typed visitAndExpr(EinParser.AndExprContext ctx) {
            return logic(Expr.Op.AND, ctx.expr(0), ctx.expr(1));
        }

        @Override
        public Typed visitOrExpr(EinParser.OrExprContext ctx) {
            return logic(Expr.Op.OR, ctx.expr(0), ctx.expr(1));
        }

        private Typed logic(Expr.Op op, ExprContext l, ExprContext r) {
            String what = "'" + op.spelling + "'";
            Typed a = requireCondition(visit(l), l, what);
            Typed b = requireCondition(visit(r), r, what);
            return new Typed(new Expr.Binary(op, a.expr(), b.expr()), combine(Kind.CONDITION, a, b));
        }

        @Override
        public Typed visitReduceExpr(ReduceExprContext ctx) {
            reductionsSeen++;
            if (topReduction || reductionsSeen > 1) {
                error(spans.of(ctx.DCOLON().getSymbol()), Code.TWO_REDUCTIONS)
                        .hint("give one of the reductions its own statement");
            } else if (mode == Mode.BODY) {
                error(spans.of(ctx.DCOLON().getSymbol()), Code.MISPLACED_REDUCTION)
                        .hint("reduce the whole right-hand side (X[p] = EXPR :: max(m)), or give the reduced part its own statement");
            } else {
                error(spans.of(ctx.DCOLON().getSymbol()), Code.MISPLACED_REDUCTION)
                        .hint(mode == Mode.PARAM ? "a parameter default is a plain expression" : "a where condition is a plain expression; reduce in a statement of its own");
            }
            Typed x = visit(ctx.expr());
            return new Typed(x.expr(), Kind.ERROR);
        }

        @Override
        public Typed visitCallExpr(EinParser.CallExprContext ctx) {
            String name = ctx.name.getText();
            List<Typed> args = ctx.expr().stream().map(this::visit).toList();
            int n = args.size();
            Span at = spans.of(ctx.name);
            if (name.equals("select")) {
                if (n != 3) return argumentCount(at, name, "3 arguments (a condition and two values)", n);
                Typed c = requireCondition(args.get(0), ctx.expr(0), "the first argument of select");
                Typed a = requireNumber(args.get(1), ctx.expr(1), "select");
                Typed b = requireNumber(args.get(2), ctx.expr(2), "select");
                return new Typed(new Expr.Select(c.expr(), a.expr(), b.expr()), combine(Kind.NUMBER, c, a, b));
            }
            Expr.Fn fn = Expr.Fn.byName(name);
            if (fn != null) {
                if (n != 1) return argumentCount(at, name, "1 argument", n);
                Typed x = requireNumber(args.get(0), ctx.expr(0), name);
                return new Typed(new Expr.Unary(fn, x.expr()), combine(Kind.NUMBER, x));
            }
            Expr.Op op = Expr.Op.functionByName(name);
            if (op != null) {
                if (n != 2) {
                    Typed t = argumentCount(at, name, "2 arguments", n);
                    if (n == 1 && (op == Expr.Op.MAX || op == Expr.Op.MIN)) {
                        diags.set(diags.size() - 1, diags.getLast().withHint(name + "(a, b) is element-wise; to reduce, write 'EXPR :: " + name + "(i)'"));
                    }
                    return t;
                }
                Typed a = requireNumber(args.get(0), ctx.expr(0), name);
                Typed b = requireNumber(args.get(1), ctx.expr(1), name);
                return new Typed(new Expr.Binary(op, a.expr(), b.expr()), combine(Kind.NUMBER, a, b));
            }
            String hint;
            if (tensors.containsKey(name) || targets.containsKey(name)) {
                hint = "'" + name + "' is a tensor: read it with brackets, " + name + "[...]";
            } else if (einc.ir.ReduceOp.byName(name) != null) {
                hint = "reductions are written after the right-hand side: X[p] = EXPR :: " + name + "(i)";
            } else {
                String dym = Suggestions.didYouMean(name, FUNCTIONS);
                hint = (dym != null ? dym + " " : "") + "functions are " + String.join(" ", FUNCTIONS);
            }
            error(at, Code.UNKNOWN_FUNCTION, name).hint(hint);
            return new Typed(new Expr.Const(0), Kind.ERROR);
        }

        private Typed argumentCount(Span at, String name, String expected, int given) {
            error(at, Code.ARGUMENT_COUNT, name, expected, given).hint("call it as " + signature(name));
            return new Typed(new Expr.Const(0), Kind.ERROR);
        }

        @Override
        public Typed visitNameExpr(NameExprContext ctx) {
            return name(ctx.name);
        }

        @Override
        public Typed visitAccessExpr(AccessExprContext ctx) {
            return access(ctx);
        }
    }

    private static final List<String> FUNCTIONS = List.of("exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "softplus", "relu",
            "elu", "abs", "sign", "min", "max", "pow", "select");

    private static String signature(String fn) {
        return switch (fn) {
            case "select" -> "select(cond, a, b)";
            case "min", "max", "pow" -> fn + "(a, b)";
            default -> fn + "(x)";
        };
    }

    /** {@code t}, or after reporting the mismatch, {@code t} marked as an error (which silences follow-ons). */
    private Typed requireNumber(Typed t, ExprContext ctx, String what) {
        if (t.kind() != Kind.CONDITION) return t;
        error(spans.of(ctx), Code.TYPE_MISMATCH, "'" + text(ctx) + "' is a condition, but " + what + " takes a number")
                .hint("turn a condition into a number with select(cond, a, b)");
        return new Typed(t.expr(), Kind.ERROR);
    }

    private Typed requireCondition(Typed t, ExprContext ctx, String what) {
        if (t.kind() != Kind.NUMBER) return t;
        error(spans.of(ctx), Code.TYPE_MISMATCH, "'" + text(ctx) + "' is a number, but " + what + " takes a condition")
                .hint("compare it, e.g. '" + text(ctx) + " > 0'; conditions use < <= > >= == != && || !");
        return new Typed(t.expr(), Kind.ERROR);
    }

    private static Kind combine(Kind result, Typed... operands) {
        for (Typed t : operands) if (t.kind() == Kind.ERROR) return Kind.ERROR;
        return result;
    }

    /** A bare name: a scalar tensor, a parameter, an extent or an index value. */
    private Typed name(Token token) {
        String n = token.getText();
        Span at = spans.of(token);
        TensorInfo t = tensors.get(n);
        boolean inParam = mode == Mode.PARAM;
        if (t != null || (targets.containsKey(n) && !paramItems.containsKey(n))) { // assigning a parameter is reported at the assignment
            if (inParam) return paramRefersTo(at, "tensor", n);
            if (t == null || !t.readable()) return readBeforeAssigned(at, n);
            if (t.ranks == null) return new Typed(new Expr.Access(n, List.of()), Kind.ERROR);
            List<IndexExpr> full = fill(t, List.of());
            if (full == null) {
                arityError(at, t, 0);
                return new Typed(new Expr.Const(0), Kind.ERROR);
            }
            return new Typed(new Expr.Access(n, full), Kind.NUMBER);
        }
        if (paramItems.containsKey(n)) {
            if (inParam && !params.containsKey(n)) {
                return paramRefersTo(at, n.equals(currentParam) ? "itself," : "the later parameter", n);
            }
            return new Typed(new Expr.ParamRef(n), Kind.NUMBER);
        }
        String ix = extents.get(n);
        if (ix != null && !ix.equals(n)) return new Typed(new Expr.ExtentRef(ix), Kind.NUMBER);
        if (known.containsKey(n)) {
            if (inParam) return paramRefersTo(at, "index", n);
            return new Typed(new Expr.IndexValue(n), Kind.NUMBER);
        }
        List<String> candidates = new ArrayList<>();
        if (isLowerCase(n)) {
            candidates.addAll(known.keySet());
            candidates.addAll(paramItems.keySet());
            candidates.addAll(tensors.keySet());
        } else {
            candidates.addAll(tensors.keySet());
            candidates.addAll(paramItems.keySet());
            candidates.addAll(extents.keySet());
        }
        String dym = Suggestions.didYouMean(n, candidates);
        error(at, Code.UNKNOWN_NAME, n).hint((dym != null ? dym + " " : "")
                + "a name is a scalar tensor, a parameter, an extent (upper case of an index) or an index used at a rank somewhere");
        return new Typed(new Expr.Const(0), Kind.ERROR);
    }

    private Typed paramRefersTo(Span at, String what, String n) {
        error(at, Code.BAD_PARAM_DEFAULT, currentParam, what, n).hint("a default may use numbers, extents (like E) and earlier parameters");
        return new Typed(new Expr.Const(0), Kind.ERROR);
    }

    private Typed readBeforeAssigned(Span at, String n) {
        if (n.equals(currentTarget) && currentSteps) return new Typed(new Expr.Const(0), Kind.ERROR); // its missing init is reported
        Span first = targets.get(n);
        Reported b = error(at, Code.READ_BEFORE_ASSIGNED, n);
        TensorInfo t = tensors.get(n);
        if (n.equals(currentTarget)) b.hint("a tensor cannot be read in its own statement unless it is iterative (X[r + 1] from X[r], after an init)");
        else if (first != null && first.line() >= at.line()) b.hint("move the statement that assigns '" + n + "' (line " + first.line() + ") before this one");
        else b.hint("assign '" + n + "' before reading it");
        return new Typed(new Expr.Const(0), Kind.ERROR);
    }

    /** A tensor read {@code X[i, ...]}. */
    private Typed access(AccessExprContext ctx) {
        String n = ctx.name.getText();
        StepsOutput so = stepsOutputs.get(n);
        if (so != null && ctx.expr().size() == so.stepsArity || so != null && tensors.get(so.steps) != null
                && tensors.get(so.steps).ranks != null && ctx.expr().size() == tensors.get(so.steps).ranks.size()) {
            n = so.steps; // an entry of the recurrence, not the output (its final entry)
        }
        Span at = spans.of(ctx.name);
        List<IndexExpr> written = new ArrayList<>();
        for (ExprContext e : ctx.expr()) {
            IndexExpr ix = index(e);
            written.add(ix == null ? new IndexExpr.Lit(0) : ix);
        }
        if (mode == Mode.PARAM) {
            return paramRefersTo(at, "tensor", n);
        }
        TensorInfo t = tensors.get(n);
        if (t == null || !t.readable()) {
            if (t != null || targets.containsKey(n)) {
                excuse(written);
                if (t != null && t.ranks != null && fill(t, written) != null) unifyAccess(t, fill(t, written), ctx);
                return readBeforeAssigned(at, n);
            }
            excuse(written);
            String hint;
            if (paramItems.containsKey(n)) hint = "'" + n + "' is a parameter: write it without brackets";
            else if (known.containsKey(n)) hint = "'" + n + "' is an index: use it as a value without brackets";
            else {
                List<String> names = new ArrayList<>(tensors.keySet());
                targets.keySet().forEach(x -> { if (!names.contains(x)) names.add(x); });
                String dym = Suggestions.didYouMean(n, names);
                hint = dym != null ? dym : "declare it as an input, or assign it before reading it";
            }
            error(at, Code.UNKNOWN_TENSOR, n).hint(hint);
            return new Typed(new Expr.Const(0), Kind.ERROR);
        }
        if (t.ranks == null) {
            excuse(written);
            return new Typed(new Expr.Access(n, written), Kind.ERROR);
        }
        List<IndexExpr> full = fill(t, written);
        if (full == null) {
            excuse(written);
            arityError(spans.of(ctx), t, written.size());
            return new Typed(new Expr.Const(0), Kind.ERROR);
        }
        unifyAccess(t, full, ctx);
        if (!checkRecurrenceRead(t, full, ctx)) return new Typed(new Expr.Const(0), Kind.ERROR);
        return new Typed(new Expr.Access(n, full), Kind.NUMBER);
    }

    /**
     * A recurrence runs its statements in textual order at each step (LANGUAGE.md §7), so entry
     * {@code r + 1} of an iterative tensor exists only once its own statement has run in this step,
     * and entries past {@code r + 1} only at later steps: reading them would read what is not
     * computed yet. Returns false when the read is such a mistake (and reports it).
     */
    private boolean checkRecurrenceRead(TensorInfo t, List<IndexExpr> full, AccessExprContext ctx) {
        int offset = full.size() - ctx.expr().size();
        for (int i = 0; i < full.size(); i++) {
            Rank rank = t.ranks.get(i);
            if (!rank.iterative()) continue;
            Long shift = shiftOf(full.get(i), rank.index());
            if (shift == null || shift < 1) continue;
            Span at = i >= offset ? spans.of(ctx.expr(i - offset)) : spans.of(ctx.name);
            String entry = rank.index() + " + " + shift;
            Span stepped = statementTargets.get(t.name);
            if (shift > 1) {
                error(at, Code.READ_BEFORE_ASSIGNED, text(ctx))
                        .hint("at step " + rank.index() + " a recurrence has computed entries up to " + rank.index()
                                + " + 1 only: read " + t.name + "[" + rank.index() + " + 1, ...] or earlier entries");
                return false;
            }
            if (!t.assigned) {
                Reported r = error(at, Code.READ_BEFORE_ASSIGNED, text(ctx));
                if (t.name.equals(currentTarget))
                    r.hint("this statement computes entry " + entry + " of '" + t.name + "': read entry " + rank.index() + " (the previous step's) instead");
                else if (stepped != null)
                    r.hint("each step runs its statements in order, and '" + t.name + "' gets entry " + entry + " at line " + stepped.line()
                            + ": move that statement before this one, or read " + t.name + "[" + rank.index() + ", ...]");
                else r.hint("read entry " + rank.index() + " of '" + t.name + "' instead");
                return false;
            }
        }
        return true;
    }

    /** {@code c} when {@code ix} is {@code index + c} (or {@code c + index}, {@code index - c}) for a literal c; else null. */
    private static Long shiftOf(IndexExpr ix, String index) {
        return switch (ix) {
            case IndexExpr.Idx(String n) -> n.equals(index) ? 0L : null;
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr.Lit(long c)) when op == IndexExpr.IOp.ADD || op == IndexExpr.IOp.SUB -> {
                Long inner = shiftOf(a, index);
                yield inner == null ? null : op == IndexExpr.IOp.ADD ? inner + c : inner - c;
            }
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr.Lit(long c), IndexExpr b) when op == IndexExpr.IOp.ADD -> {
                Long inner = shiftOf(b, index);
                yield inner == null ? null : inner + c;
            }
            default -> null;
        };
    }

    private void unifyAccess(TensorInfo t, List<IndexExpr> full, AccessExprContext ctx) {
        int offset = full.size() - ctx.expr().size();
        for (int i = 0; i < full.size(); i++) {
            Rank rank = t.ranks.get(i);
            String ix = full.get(i).plainIndex();
            if (ix == null || rank.iterative()) continue;
            Span at = i >= offset ? spans.of(ctx.expr(i - offset)) : spans.of(ctx.name);
            unify(ix, rank.index(), at, t.name, i);
        }
    }

    private void excuse(List<IndexExpr> written) {
        excused.addAll(indicesOf(written));
    }

    // ------------------------------------------------------------------ index positions

    /** The integer expression at an index position, or null after reporting why it is not one. */
    private IndexExpr index(ExprContext e) {
        switch (e) {
            case ParenExprContext p -> {
                return index(p.expr());
            }
            case NameExprContext n -> {
                String name = n.name.getText();
                Span at = spans.of(n.name);
                if (known.containsKey(name)) return IndexExpr.idx(name);
                String ix = extents.get(name);
                if (ix != null && !ix.equals(name) && !declared.containsKey(name) && !targets.containsKey(name)) return new IndexExpr.Ext(ix);
                String hint;
                if (paramItems.containsKey(name)) hint = "'" + name + "' is a parameter; index positions take indices, extents (like P) and integers";
                else if (declared.containsKey(name) || targets.containsKey(name)) hint = "'" + name + "' is a tensor; index positions take indices, extents (like P) and integers";
                else {
                    List<String> candidates = new ArrayList<>(known.keySet());
                    candidates.addAll(extents.keySet());
                    String dym = Suggestions.didYouMean(name, candidates);
                    hint = (dym != null ? dym + " " : "") + "an index must be used at a rank of some tensor (or be a split part) to have an extent";
                }
                error(at, isLowerCase(name) ? Code.UNKNOWN_INDEX : Code.UNKNOWN_NAME, name).hint(hint);
                return null;
            }
            case NumberExprContext num -> {
                return literal(num, false);
            }
            case UnaryExprContext u when u.op.getType() == EinParser.MINUS -> {
                if (u.expr() instanceof NumberExprContext num) return literal(num, true);
                IndexExpr x = index(u.expr());
                return x == null ? null : new IndexExpr.INeg(x);
            }
            case AddExprContext add -> {
                IndexExpr a = index(add.expr(0));
                IndexExpr b = index(add.expr(1));
                if (a == null || b == null) return null;
                return new IndexExpr.IBin(add.op.getType() == EinParser.PLUS ? IndexExpr.IOp.ADD : IndexExpr.IOp.SUB, a, b);
            }
            case MulExprContext mul -> {
                IndexExpr a = index(mul.expr(0));
                IndexExpr b = index(mul.expr(1));
                if (a == null || b == null) return null;
                IndexExpr.IOp op = switch (mul.op.getType()) {
                    case EinParser.STAR -> IndexExpr.IOp.MUL;
                    case EinParser.SLASH -> IndexExpr.IOp.DIV;
                    default -> IndexExpr.IOp.MOD;
                };
                boolean ia = !indicesOf(a).isEmpty();
                boolean ib = !indicesOf(b).isEmpty();
                if (op == IndexExpr.IOp.MUL && ia && ib) {
                    error(spans.of(mul), Code.NOT_AFFINE, text(mul), "it multiplies two indices")
                            .hint("multiply indices only by extents and integers, as in m1 * M0 + m0");
                    return null;
                }
                if (op != IndexExpr.IOp.MUL && ib) {
                    error(spans.of(mul), Code.NOT_AFFINE, text(mul), (op == IndexExpr.IOp.DIV ? "it divides by" : "it takes a modulo by") + " an index")
                            .hint("divide only by constants of extents and integers, as in h / (H / G)");
                    return null;
                }
                Long divisor = op == IndexExpr.IOp.MUL ? null : constant(b);
                if (divisor != null && divisor == 0) {
                    String d = text(mul.expr(1));
                    error(spans.of(mul.expr(1)), Code.DIVISION_BY_ZERO, text(mul), d.equals("0") ? "the divisor" : "the divisor " + d, "")
                            .hint((op == IndexExpr.IOp.DIV ? "divide" : "take the modulo") + " by a constant that is not 0, e.g. "
                                    + text(mul.expr(0)) + " " + mul.op.getText() + " 2, or by an expression of extents such as H / G");
                    return null;
                }
                return new IndexExpr.IBin(op, a, b);
            }
            default -> {
                error(spans.of(e), Code.NOT_AFFINE, text(e), "index positions take indices, extents and integers combined with + - * / %")
                        .hint("compute values on the right-hand side; index positions only say which entry to read");
                return null;
            }
        }
    }

    private IndexExpr literal(NumberExprContext num, boolean negative) {
        String s = num.getText();
        try {
            if (!s.matches("[0-9]+")) throw new NumberFormatException();
            long v = Long.parseLong(s);
            return new IndexExpr.Lit(negative ? -v : v);
        } catch (NumberFormatException x) {
            error(spans.of(num), Code.NOT_AFFINE, s, "'" + s + "' is not an integer")
                    .hint("index positions take integers, like 0 or 64");
            return null;
        }
    }

    /** The value of an index expression of literals alone, or null. */
    private static Long constant(IndexExpr e) {
        return switch (e) {
            case IndexExpr.Lit(long v) -> v;
            case IndexExpr.INeg(IndexExpr a) -> {
                Long x = constant(a);
                yield x == null ? null : -x;
            }
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> {
                Long x = constant(a);
                Long y = constant(b);
                if (x == null || y == null) yield null;
                yield switch (op) {
                    case ADD -> x + y;
                    case SUB -> x - y;
                    case MUL -> x * y;
                    case DIV -> y == 0 ? null : Math.floorDiv(x, y);
                    case MOD -> y == 0 ? null : Math.floorMod(x, y);
                };
            }
            default -> null;
        };
    }

    // ------------------------------------------------------------------ whole-cascade checks

    private void checkOutputsAndInits() {
        for (TensorInfo t : tensors.values()) {
            if (t.role == TensorDecl.Role.OUTPUT && !t.assigned && !t.quiet) {
                List<String> shown = t.ranks == null ? List.of() : t.ranks.stream().map(Rank::index).filter(i -> !batch.contains(i)).toList();
                String lhs = shown.isEmpty() ? t.name : t.name + "[" + String.join(", ", shown) + "]";
                error(t.span, Code.OUTPUT_NOT_ASSIGNED, t.name).hint("assign it in a statement: " + lhs + " = ...");
            }
            if (t.initSpan != null && !t.steps && !t.quiet) {
                error(t.initSpan, Code.BAD_INIT, "'" + t.name + "' has an init, but no statement steps it with 'r + 1'")
                        .hint("an init gives entry 0 of an iterative rank: write " + t.name + "[r + 1, ...] = ..., or drop the init");
            }
        }
    }

    private void checkRecurrences() {
        Set<String> iterativeIndices = new LinkedHashSet<>();
        for (Built b : built) {
            if (b.einsum().init()) continue;
            for (IndexExpr ix : b.einsum().target().indices()) {
                if (ix instanceof IndexExpr.IBin(IndexExpr.IOp op, IndexExpr.Idx(String r), IndexExpr.Lit l) && op == IndexExpr.IOp.ADD) iterativeIndices.add(r);
            }
        }
        for (Built b : built) {
            if (b.einsum().init() || b.lhsTwoIterative()) continue;
            List<String> in = b.space().stream().filter(iterativeIndices::contains).toList();
            if (in.size() > 1) {
                error(b.einsum().span(), Code.BAD_RECURRENCE, "a statement may belong to one recurrence; this one iterates '" + in.get(0) + "' and '" + in.get(1) + "'")
                        .hint("split it into statements that each iterate one iterative rank");
            }
        }
        for (String r : iterativeIndices) {
            int first = -1;
            int gap = -1;
            for (int i = 0; i < built.size(); i++) {
                Built b = built.get(i);
                boolean in = !b.einsum().init() && b.space().contains(r);
                if (in && first < 0) first = i;
                else if (!in && first >= 0 && gap < 0) gap = i;
                else if (in && gap >= 0) {
                    Span outside = built.get(gap).einsum().span();
                    error(b.einsum().span(), Code.RECURRENCE_NOT_CONTIGUOUS, r)
                            .hint("the statement at line " + outside.line() + " does not iterate '" + r + "': move it before or after the recurrence");
                    break;
                }
            }
        }
    }

    // ------------------------------------------------------------------ extents

    private List<IndexDef> indexDefs() {
        // canonical order of first appearance, independent of the order of declarations in the file
        Set<String> order = new LinkedHashSet<>(batch);
        for (TensorInfo t : tensors.values()) {
            if (t.role == TensorDecl.Role.INPUT && t.ranks != null) t.ranks.forEach(r -> order.add(r.index()));
        }
        for (TensorInfo t : tensors.values()) {
            if (t.role == TensorDecl.Role.OUTPUT && t.ranks != null) t.ranks.forEach(r -> order.add(r.index()));
        }
        for (Split s : splits) {
            order.add(s.parent());
            order.add(s.outer());
            order.add(s.inner());
        }
        for (Built b : built) order.addAll(b.einsum().space());
        for (String k : known.keySet()) order.add(k);
        order.retainAll(known.keySet());

        // representatives: a split part if the class has one, else the first member
        Map<String, String> representative = new LinkedHashMap<>();
        for (String i : order) {
            String root = classes.find(i);
            String current = representative.get(root);
            if (current == null || (!splitOf.containsKey(current) && splitOf.containsKey(i))) representative.put(root, i);
        }

        // a class is determined by a rank of an input, an inner split part, or an outer part of a determined parent
        Set<String> determined = new LinkedHashSet<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (String i : order) {
                String root = classes.find(i);
                if (determined.contains(root)) continue;
                Split s = splitOf.get(i);
                boolean d = inputRanks.contains(i)
                        || (s != null && s.inner().equals(i))
                        || (s != null && s.outer().equals(i) && determined.contains(classes.find(s.parent())));
                if (d) {
                    determined.add(root);
                    changed = true;
                }
            }
        }
        Set<String> reported = new LinkedHashSet<>();
        for (String i : order) {
            String root = classes.find(i);
            if (determined.contains(root) || reported.contains(root)) continue;
            reported.add(root);
            List<String> members = classes.members(i);
            boolean isExcused = false;
            for (String m : members) if (excused.contains(m)) isExcused = true;
            if (isExcused) continue;
            String rep = representative.get(root);
            Reported b = error(known.get(rep), Code.EXTENT_UNDETERMINED, rep)
                    .hint("use '" + rep + "' at a rank of an input, or make it a part of a split");
            if (members.size() > 1) b.note("indices of the same extent: " + String.join(", ", new TreeSet<>(members)));
        }

        List<IndexDef> defs = new ArrayList<>();
        for (String i : order) {
            Split s = splitOf.get(i);
            IndexDef.Rule rule;
            if (s != null && s.outer().equals(i)) rule = new IndexDef.SplitOuter(s.parent(), s.tile());
            else if (s != null) rule = new IndexDef.SplitInner(s.parent(), s.tile());
            else rule = new IndexDef.Bound(representative.get(classes.find(i)));
            defs.add(new IndexDef(i, rule, known.get(i)));
        }
        return defs;
    }

    // ------------------------------------------------------------------ helpers

    private static List<org.antlr.v4.runtime.tree.TerminalNode> ids(EinParser.NamesContext names) {
        return names == null ? List.of() : names.ID();
    }

    private static ExprContext stripParens(ExprContext e) {
        while (e instanceof ParenExprContext p) e = p.expr();
        return e;
    }

    private static boolean isLowerCase(String n) {
        return n.equals(n.toLowerCase(Locale.ROOT));
    }

    /** The source text of a node, shortened for messages. */
    private static String text(ParserRuleContext ctx) {
        Token a = ctx.getStart();
        Token b = ctx.getStop();
        String s;
        if (b == null || b.getStopIndex() < a.getStartIndex()) s = a.getText();
        else s = a.getInputStream().getText(Interval.of(a.getStartIndex(), b.getStopIndex()));
        s = s.replaceAll("\\s+", " ");
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }

    private Reported error(Span at, Code code, Object... args) {
        return new Reported(diags, Diagnostic.error(at, code, args));
    }

    private static Set<String> indicesOf(IndexExpr e) {
        Set<String> out = new LinkedHashSet<>();
        Exprs.collectIndices(e, out);
        return out;
    }

    private static Set<String> indicesOf(List<IndexExpr> es) {
        Set<String> out = new LinkedHashSet<>();
        for (IndexExpr e : es) Exprs.collectIndices(e, out);
        return out;
    }
}
