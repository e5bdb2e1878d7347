package einc.optimizer;

import einc.ir.Cascade;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop nests of the examples: which statements share a nest, over which rank, what stays local. */
class ScheduleTest {

    static Schedule schedule(String example) {
        return Schedule.of(ExamplesTest.only(example));
    }

    static List<List<String>> names(Schedule s) {
        return s.nests().stream().map(Schedule.Nest::names).toList();
    }

    static List<List<String>> outers(Schedule s) {
        return s.nests().stream().map(Schedule.Nest::outer).toList();
    }

    static Schedule.Placed placed(Schedule s, String label) {
        return s.nests().stream().flatMap(n -> n.statements().stream()).filter(p -> p.label().equals(label)).findFirst().orElseThrow();
    }

    @Test
    void threePassSoftmaxIsOneNestOverQueriesWithRowsForEveryIntermediate() {
        Schedule s = schedule("attention/softmax.ein");
        assertEquals(List.of(List.of("QK", "GM", "SN", "SD", "A", "AV")), names(s));
        assertEquals(List.of(List.of("p")), outers(s));
        assertEquals(List.of("QK", "GM", "SN", "SD", "A"), List.copyOf(s.local().keySet()));
        // QK[b, h, m, p] drops p, its rank 3 (batch ranks are explicit): a row of M.
        assertEquals(new Schedule.Local(List.of("p"), List.of(3)), s.local().get("QK"));
        assertTrue(s.crossing().isEmpty());
        assertEquals(List.of("b", "h"), s.independent());
        // QK loops m and reduces e inside the p loop; AV loops f and reduces m.
        assertEquals(new Schedule.Placed(0, "QK", null, List.of("m"), List.of("e")), placed(s, "QK"));
        assertEquals(List.of("f"), placed(s, "AV").free());
        assertEquals(List.of("m"), placed(s, "AV").reduced());
    }

    @Test
    void onePassCascade5RunsItsRecurrenceInsideTheQueryLoop() {
        Schedule s = schedule("fusemax/cascade5.ein");
        assertEquals(1, s.nests().size());
        assertEquals(List.of("p"), s.nests().getFirst().outer());
        List<Schedule.Placed> st = s.nests().getFirst().statements();
        // Three inits before the loop, nine statements of the recurrence over m1, the division after it.
        assertEquals(13, st.size());
        assertTrue(st.subList(0, 3).stream().allMatch(p -> p.recurrence() == null && p.label().startsWith("init ")));
        assertTrue(st.subList(3, 12).stream().allMatch(p -> "m1".equals(p.recurrence())));
        assertNull(st.get(12).recurrence());
        assertEquals(List.of("m0"), placed(s, "BQK").free());
        // The running values hold one query: RM is a column of M1 + 1 entries.
        assertEquals(List.of("p"), s.local().get("RM").ranks());
        assertTrue(s.crossing().isEmpty());
    }

    @Test
    void linearAttentionIsANestOverFeaturesThenANestOverQueries() {
        Schedule s = schedule("attention/linear.ein");
        assertEquals(List.of(List.of("FQ", "FK", "KV", "KS"), List.of("NUM", "DEN", "AV")), names(s));
        assertEquals(List.of(List.of("e"), List.of("p")), outers(s));
        assertEquals(List.of("FK", "NUM", "DEN"), List.copyOf(s.local().keySet()));
        assertEquals(List.of("FQ", "KV", "KS"), s.crossing());
        assertTrue(s.nests().get(1).cause().startsWith("NUM shares no outer rank"));
    }

    @Test
    void aStatementThatCouldJoinEitherNestGoesWithTheOneAfterIt() {
        // QK[m, p] could loop m with KN[m] or p with the softmax after it: it goes with the softmax.
        Schedule s = schedule("attention/cosine.ein");
        assertEquals(List.of(List.of("p"), List.of("m"), List.of("p")), outers(s));
        assertEquals(List.of("QK", "CS", "GM", "SN", "SD", "A", "AV"), s.nests().get(2).names());
        assertEquals(List.of("QN", "KN"), s.crossing());
    }

    @Test
    void aRecurrenceWithNoSharedRankStaysOneNest() {
        // linear_causal: the block recurrence mixes statements over p0 and over (e, f): one nest, no outer loop.
        Schedule s = schedule("attention/linear_causal.ein");
        Schedule.Nest rec = s.nests().stream().filter(n -> n.names().contains("KV")).findFirst().orElseThrow();
        assertTrue(rec.outer().isEmpty());
        assertEquals(10, rec.statements().size());
        assertTrue(rec.statements().stream().allMatch(p -> "m1".equals(p.recurrence())));
        assertTrue(s.crossing().contains("KV"));
    }

    @Test
    void batchRanksAreNotIndependentWhenAStatementReducesThem() {
        Schedule s = schedule("attention/moh.ein");
        assertTrue(s.independent().isEmpty());
    }

    @Test
    void everyStatementIsPlacedOnceInOrder() throws Exception {
        try (var files = java.nio.file.Files.walk(ExamplesTest.EXAMPLES)) {
            for (var f : files.filter(p -> p.toString().endsWith(".ein")).sorted().toList()) {
                for (Cascade c : ExamplesTest.compile(f)) {
                    for (Cascade k : List.of(c, Pipeline.run(c, Pipeline.Options.defaults()).optimized())) {
                        Schedule s = Schedule.of(k);
                        List<Integer> order = s.nests().stream().flatMap(n -> n.statements().stream()).map(Schedule.Placed::statement).toList();
                        assertEquals(java.util.stream.IntStream.range(0, k.statements().size()).boxed().toList(), order, f + " " + k.name());
                        for (Map.Entry<String, Schedule.Local> e : s.local().entrySet())
                            assertTrue(k.outputs().stream().noneMatch(t -> t.name().equals(e.getKey())), f + ": output " + e.getKey() + " is local");
                        assertTrue(s.nests().stream().allMatch(n -> n.outer().size() <= 1));
                    }
                }
            }
        }
    }
}
