package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.Printer;
import einc.optimizer.rewrite.CommonSubexpressions;
import einc.optimizer.rewrite.ConstantFolding;
import einc.optimizer.rewrite.DeadStatements;
import einc.optimizer.rewrite.DeferNormalization;
import einc.optimizer.rewrite.MaskToBounds;
import einc.optimizer.rewrite.OnlineSoftmax;
import einc.optimizer.rewrite.PrefixToRecurrence;
import einc.optimizer.rewrite.Reassociate;
import einc.optimizer.rewrite.Rewrite;
import einc.optimizer.rewrite.Verifier;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The rewrites in the order they run, and the one place that runs them: it can print the IR after
 * a pass (or all), time each pass and verify the IR after each. Order: clean up first so patterns
 * are plain; defer the normalization (3 passes to 2) before the online softmax looks for
 * max -> exp -> sum (2 to 1); reassociate linear attention before the prefix sums it leaves;
 * drop what became dead; read the masks last, on the final statements.
 */
public final class Pipeline {

    /**
     * How to run: the tile size of split ranks, passes turned off by name, {@code printIrAfter} (a
     * pass name, {@code all}, or null), whether to time and to verify each pass, and how to print IR.
     */
    public record Options(long tile, Set<String> disabled, String printIrAfter, boolean timePasses, boolean verifyEach,
                          Function<Cascade, String> printer) {

        public Options {
            disabled = Set.copyOf(disabled);
        }

        public static Options defaults() {
            return new Options(OnlineSoftmax.DEFAULT_TILE, Set.of(), null, false, false, null);
        }

        public Options withTile(long t) {
            return new Options(t, disabled, printIrAfter, timePasses, verifyEach, printer);
        }

        public Options withPrintIrAfter(String pass, Function<Cascade, String> p) {
            return new Options(tile, disabled, pass, timePasses, verifyEach, p);
        }

        public Options withTimePasses(boolean on) {
            return new Options(tile, disabled, printIrAfter, on, verifyEach, printer);
        }

        public Options withVerifyEach(boolean on) {
            return new Options(tile, disabled, printIrAfter, timePasses, on, printer);
        }

        public Options without(String pass) {
            Set<String> d = new java.util.LinkedHashSet<>(disabled);
            d.add(pass);
            return new Options(tile, d, printIrAfter, timePasses, verifyEach, printer);
        }
    }

    /** One pass as it ran: its name, what it did, and how long it took. */
    public record Step(String pass, String summary, Rewrite.Result result, long nanos) {}

    /** The cascade before and after, every step, and the loop bounds the masks give the backends. */
    public record Outcome(Cascade original, Cascade optimized, List<Step> steps, List<MaskToBounds.StatementBounds> bounds) {

        /** The steps that changed something (mask-to-bounds counts when it found bounds). */
        public List<Step> applied() {
            return steps.stream().filter(s -> s.result().applied()).toList();
        }
    }

    private Pipeline() {}

    /** The passes, in order. */
    public static List<Rewrite> passes(Options o) {
        return List.of(
                new ConstantFolding(),
                new CommonSubexpressions(),
                new DeferNormalization(),
                new Reassociate(),
                new DeadStatements(),
                new OnlineSoftmax(o.tile()),
                new PrefixToRecurrence(o.tile()),
                new DeadStatements(),
                new MaskToBounds());
    }

    /** The names of the passes, for {@code --print-ir-after} and {@code --disable}. */
    public static List<String> names() {
        return passes(Options.defaults()).stream().map(Rewrite::name).distinct().toList();
    }

    public static Outcome run(Cascade c, Options o) {
        return run(c, o, line -> {});
    }

    /** Runs every pass not disabled; IR dumps and timings go to {@code log}. */
    public static Outcome run(Cascade c, Options o, Consumer<String> log) {
        Cascade cur = c;
        List<Step> steps = new ArrayList<>();
        for (Rewrite r : passes(o)) {
            if (o.disabled().contains(r.name())) continue;
            long t0 = System.nanoTime();
            Rewrite.Result res = r.apply(cur);
            long dt = System.nanoTime() - t0;
            if (o.verifyEach()) Verifier.check(res.cascade(), r.name());
            steps.add(new Step(r.name(), r.summary(), res, dt));
            if (o.printIrAfter() != null && (o.printIrAfter().equals("all") || o.printIrAfter().equals(r.name()))) {
                if (res.cascade() == cur) log.accept("// IR after " + r.name() + " (unchanged)");
                else {
                    log.accept("// IR after " + r.name());
                    log.accept(o.printer() == null ? Printer.print(res.cascade()) : o.printer().apply(res.cascade()));
                }
            }
            cur = res.cascade();
        }
        if (o.timePasses()) {
            long total = 0;
            for (Step s : steps) total += s.nanos();
            log.accept("// pass timings");
            for (Step s : steps) log.accept(String.format(Locale.ROOT, "//   %-24s %8.3f ms", s.pass(), s.nanos() / 1e6));
            log.accept(String.format(Locale.ROOT, "//   %-24s %8.3f ms", "total", total / 1e6));
        }
        List<MaskToBounds.StatementBounds> bounds = o.disabled().contains("mask-to-bounds") ? List.of() : MaskToBounds.analyze(cur);
        return new Outcome(c, cur, steps, bounds);
    }
}
