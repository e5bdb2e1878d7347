package einc.codegen.jvm;

import einc.ir.Cascade;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The fused attention kernel: which cascades it takes, and that it agrees with the interpreter. */
class FusedBackendTest {

    static final Set<String> FUSED = Set.of("attention", "causal", "deferred", "softcap", "alibi", "gqa", "window",
            "sigmoid", "relu", "l1", "l1deferred", "sinks", "band", "emptied", "emptieddeferred", "relusinks",
            "onepass"); // FuseMax's Cascade 5, read untiled by OnlineForm

    @Test
    void recognizesExactlyTheAttentionCascades() {
        for (Map.Entry<String, Cascade> e : Cascades.all().entrySet()) {
            JvmKernel k = JvmBackend.compile(e.getValue());
            if (FUSED.contains(e.getKey())) assertNotNull(k.fusedClass(), e.getKey() + ": " + k.fusedNote());
            else assertNull(k.fusedClass(), e.getKey() + " should not be fused");
        }
    }

    @Test
    void countsTheFlopsOfMasksBeyondBounds() {
        Map<String, Long> x = Map.of("b", 1L, "h", 1L, "p", 8L, "m", 8L, "e", 4L, "f", 4L);
        // sinks 2, window 5, causal: rows keep 1, 2, 3, 4, 5, 6, 7, 7 keys; the band keeps 7 keys on every row.
        assertEquals(35 * 2 * 8, JvmBackend.attentionFlops(Cascades.sinks(), x, Map.of("sinks", 2.0, "window", 5.0)).orElseThrow());
        assertEquals(56 * 2 * 8, JvmBackend.attentionFlops(Cascades.band(), x, Map.of()).orElseThrow());
    }

    static List<Map<String, Long>> shapes(String name) {
        List<Map<String, Long>> out = new ArrayList<>(GenericBackendTest.shapes(name));
        if (!name.equals("gqa")) {
            out.add(Map.of("b", 1L, "h", 2L, "p", 70L, "m", 133L, "e", 32L, "f", 64L));
            out.add(Map.of("b", 2L, "h", 1L, "p", 129L, "m", 129L, "e", 64L, "f", 80L));
            // E = 128: the inner loops specialized for that trip count; a ragged last key tile.
            out.add(Map.of("b", 1L, "h", 1L, "p", 67L, "m", 150L, "e", 128L, "f", 128L));
        }
        return out;
    }

    @TestFactory
    List<DynamicTest> fusedKernelsAgreeWithTheInterpreter() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : FUSED) {
            Cascade c = Cascades.all().get(name);
            JvmKernel k = JvmBackend.compile(c);
            tests.add(DynamicTest.dynamicTest(name + " fused passes CheckClassAdapter", () -> assertEquals("", Bytecode.check(k.fusedClass()))));
            long seed = 7;
            for (Map<String, Long> s : shapes(name)) {
                long sd = seed++;
                tests.add(DynamicTest.dynamicTest(name + " fused " + s, () -> Check.againstInterpreter(c, k.loadFused(), s, sd, 1e-5)));
            }
        }
        return tests;
    }

    @Test
    void dealsTheQueryTilesOfABatchPointIntoUnitsForThePoolsThreads() {
        int br = AttentionTemplate.BR, per = einc.runtime.Chunks.PER_THREAD;
        java.util.concurrent.ForkJoinPool two = new java.util.concurrent.ForkJoinPool(2);
        try {
            assertEquals(1, AttentionTemplate.units(4096, null));
            assertEquals(1, AttentionTemplate.units(1, two));
            assertEquals(1, AttentionTemplate.units(br, two));
            assertEquals(Math.min(4, 2 * per), AttentionTemplate.units(3 * br + 8, two));
            assertEquals(2 * per, AttentionTemplate.units(4096, two));
        } finally {
            two.shutdown();
        }
    }

    /**
     * One loaded kernel over shapes that shrink and grow (its scratch is kept between calls):
     * a smaller call after a larger one must not read what the larger one left, on 1 and 2 threads.
     */
    @TestFactory
    List<DynamicTest> oneKernelAgreesWithTheInterpreterOverShapesInTurn() {
        List<DynamicTest> tests = new ArrayList<>();
        List<Map<String, Long>> turns = List.of(
                Map.of("b", 1L, "h", 2L, "p", 200L, "m", 300L, "e", 64L, "f", 80L),
                Map.of("b", 1L, "h", 1L, "p", 5L, "m", 7L, "e", 16L, "f", 20L),
                Map.of("b", 2L, "h", 1L, "p", 67L, "m", 150L, "e", 128L, "f", 128L),
                Map.of("b", 1L, "h", 3L, "p", 70L, "m", 65L, "e", 32L, "f", 64L),
                Map.of("b", 1L, "h", 2L, "p", 200L, "m", 300L, "e", 64L, "f", 80L));
        long seed = 500;
        for (String name : List.of("attention", "causal", "window", "l1")) {
            Cascade c = Cascades.all().get(name);
            JvmKernel k = JvmBackend.compile(c);
            for (int threads : new int[] {1, 2}) {
                var kernel = k.loadFused().withThreads(threads);
                for (Map<String, Long> s : turns) {
                    long sd = seed++;
                    tests.add(DynamicTest.dynamicTest(name + " fused, one kernel, " + threads + " threads, " + s,
                            () -> Check.againstInterpreter(c, kernel, s, sd, 1e-5)));
                }
            }
        }
        return tests;
    }

    /** One batch point (B=1 H=1): its query tiles run as interleaved slices on 2 threads; ragged query and key counts. */
    @TestFactory
    List<DynamicTest> oneBatchPointAgreesWithTheInterpreterOnTwoThreads() {
        List<DynamicTest> tests = new ArrayList<>();
        long seed = 300;
        for (String name : List.of("attention", "causal", "window", "sinks", "l1", "relu")) {
            Cascade c = Cascades.all().get(name);
            JvmKernel k = JvmBackend.compile(c);
            for (long p : new long[] {1, 5, 7, 70, 3 * AttentionTemplate.BR + 5}) {
                Map<String, Long> s = Map.of("b", 1L, "h", 1L, "p", p, "m", p + 3, "e", 16L, "f", 20L);
                long sd = seed++;
                tests.add(DynamicTest.dynamicTest(name + " fused, 2 threads, " + s,
                        () -> Check.againstInterpreter(c, k.loadFused().withThreads(2), s, sd, 1e-5)));
            }
        }
        return tests;
    }
}
