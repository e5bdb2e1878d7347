package einc.codegen.jvm;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Source;
import einc.optimizer.Pipeline;
import einc.optimizer.Schedule;
import einc.runtime.Chunks;
import einc.runtime.CompiledCascade;
import einc.runtime.Launch;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generic path splits a nest's outer rank among threads: which nests split, that chunks land
 * on two threads at once, and one batch point (B=1 H=1) on two threads against the interpreter.
 */
class SplitNestTest {

    static final List<String> EXAMPLES = List.of("differential", "cosine", "linear", "agent");

    static List<Cascade> cascades(String example) throws IOException {
        Path file = Path.of("../../examples/attention", example + ".ein");
        return Frontend.compile(new Source(file.toString(), Files.readString(file)));
    }

    @Test
    void theQueryRankIsSplitAndRecurrencesAreNot() throws IOException {
        for (String f : EXAMPLES)
            for (Cascade c : cascades(f))
                for (Cascade plan : List.of(c, Pipeline.run(c, Pipeline.Options.defaults()).optimized())) {
                    KernelPlan k = new KernelPlan(plan);
                    assertTrue(k.schedule.nests().stream().anyMatch(n -> k.split(n) && n.outer().getFirst().equals("p")),
                            f + ": no nest over p is split in " + k.schedule.nests());
                    for (Schedule.Nest n : k.schedule.nests())
                        if (n.statements().stream().anyMatch(p -> p.recurrence() != null)) assertFalse(k.split(n), f + ": " + n);
                    // The generated class hands the split nest to the runtime's chunks.
                    String text = Bytecode.text(JvmBackend.compile(plan).genericClass());
                    assertTrue(text.contains("einc/runtime/Chunks.run"), f + ": the slice never calls Chunks.run");
                }
    }

    @Test
    void chunksOfOneNestRunOnTwoThreadsAtOnce() {
        CountDownLatch both = new CountDownLatch(2);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        int[] covered = new int[10];
        CompiledCascade code = new CompiledCascade() {
            @Override
            public void defaults(int[] extents, double[] params, boolean[] given) {}

            @Override
            public int slices(int[] extents) {
                return 1;
            }

            @Override
            public void slice(Launch launch, int slice) {}

            @Override
            public void chunk(int nest, Object[] frame, int lo, int hi) {
                threads.add(Thread.currentThread().getName());
                for (int i = lo; i < hi; i++) covered[i]++;
                both.countDown();
                try {
                    // Each chunk waits for the other: they finish only if two threads run them at once.
                    assertTrue(both.await(20, TimeUnit.SECONDS), "the other chunk never ran alongside");
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        };
        ForkJoinPool pool = new ForkJoinPool(2);
        try {
            Chunks.run(new Launch(new float[0][], new int[0], new float[0], pool), code, 0, new Object[0], 2);
            assertEquals(2, threads.size(), "chunks ran on " + threads);
            Chunks.run(new Launch(new float[0][], new int[0], new float[0], null), code, 0, new Object[0], 10);
        } finally {
            pool.shutdown();
        }
        // The second run (no pool) covered every point once, the first points 0 and 1 once more.
        assertEquals(List.of(2, 2, 1, 1, 1, 1, 1, 1, 1, 1), java.util.Arrays.stream(covered).boxed().toList());
    }

    @TestFactory
    List<DynamicTest> oneBatchPointOnTwoThreadsAgreesWithTheInterpreter() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        long seed = 70;
        for (String f : EXAMPLES)
            for (Cascade c : cascades(f)) {
                JvmKernel written = JvmBackend.compile(c);
                JvmKernel optimized = JvmBackend.compile(Pipeline.run(c, Pipeline.Options.defaults()).optimized());
                for (long p : new long[] {1, 5, 70}) {
                    Map<String, Long> x = ExamplesTest.extents(c, Map.of("b", 1L, "h", 1L, "p", p, "m", 37L, "e", 16L, "f", 9L, "n", 7L));
                    long sd = seed++;
                    tests.add(DynamicTest.dynamicTest(f + " " + x, () -> Check.againstInterpreter(c, written.loadGeneric().withThreads(2), x, sd, 1e-5)));
                    tests.add(DynamicTest.dynamicTest(f + " optimized " + x, () -> Check.againstInterpreter(c, optimized.loadGeneric().withThreads(2), x, sd, 1e-5)));
                }
            }
        return tests;
    }
}
