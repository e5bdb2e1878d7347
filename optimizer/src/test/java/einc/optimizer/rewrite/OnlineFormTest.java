package einc.optimizer.rewrite;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Printer;
import einc.ir.Source;
import einc.optimizer.Pipeline;
import einc.optimizer.attention.OnlineForm;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link OnlineForm} reads every plan that {@code OnlineSoftmax} tiled back as an untiled cascade
 * computing the same numbers as the cascade the user wrote, and refuses look-alikes it cannot read exactly.
 */
class OnlineFormTest {

    @TestFactory
    List<DynamicTest> everyTiledPlanReadsBackAsTheWrittenCascade() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : ExamplesTest.exampleFiles())
            for (Cascade c : ExamplesTest.parse(file))
                tests.add(DynamicTest.dynamicTest(ExamplesTest.ROOT.relativize(file) + " " + c.name(), () -> check(c)));
        return tests;
    }

    private static void check(Cascade written) {
        Pipeline.Outcome out = Pipeline.run(written, Pipeline.Options.defaults().withTile(4));
        boolean tiled = out.applied().stream().anyMatch(s -> s.pass().equals("online-softmax"));
        Optional<OnlineForm.Untiled> read = OnlineForm.untile(out.optimized());
        // every plan online-softmax tiled (one split, nothing else tiled) from an untiled cascade reads back; so may cascades written tiled (Cascade 5)
        if (tiled && written.splits().isEmpty() && out.optimized().splits().size() == 1) assertTrue(read.isPresent(), Printer.print(out.optimized()));
        if (!tiled && written.splits().isEmpty()) assertTrue(read.isEmpty());
        if (read.isEmpty()) return;
        Cascade untiled = read.get().cascade();
        assertEquals(List.of(), Verifier.problems(untiled), Printer.print(untiled));
        assertTrue(untiled.splits().isEmpty() && untiled.iterativeIndices().isEmpty(), Printer.print(untiled));
        assertEquals("m", read.get().rank());
        for (long[] pm : new long[][] {{7, 10}, {8, 8}, {3, 5}, {1, 1}}) {
            Map<String, Long> shape = ExamplesTest.shape(written, pm[0], pm[1]);
            double err = Oracle.error(written, untiled, shape, Map.of(), pm[0] * 11 + pm[1]);
            assertTrue(err < 1e-9, written.name() + " P=" + pm[0] + " M=" + pm[1] + ": relative error " + err + "\n" + Printer.print(untiled));
        }
    }

    private static Cascade one(String text) {
        return Frontend.compile(new Source("test.ein", text)).getFirst();
    }

    private static final String CASCADE5 = """
            cascade attention_1pass {
              batch  b, h
              input  Q[p, e], K[m, e], V[m, f]
              output AV[p, f]
              split  m = (m1, m0) by 4
              init RM[m1 = 0, p] = -inf
              init RD[m1 = 0, p] = 0
              init RNV[m1 = 0, p, f] = 0
              BQK[m1, m0, p]  = Q[p, e] * K[m1 * M0 + m0, e]%s
              LM[m1, p]       = BQK[m1, m0, p] :: max(m0)
              RM[m1 + 1, p]   = max(RM[m1, p], LM[m1, p])
              SLN[m1, m0, p]  = exp(BQK[m1, m0, p] - RM[m1 + 1, p])
              SLD[m1, p]      = SLN[m1, m0, p]
              SLNV[m1, p, f]  = SLN[m1, m0, p] * V[m1 * M0 + m0, f]
              PRM[m1, p]      = %s
              RD[m1 + 1, p]   = SLD[m1, p] + RD[m1, p] * PRM[m1, p]
              RNV[m1 + 1, p, f] = SLNV[m1, p, f] + RNV[m1, p, f] * PRM[m1, p]
              AV[p, f]        = RNV[M1, p, f] / RD[M1, p]
            }
            """;

    @Test
    void fuseMaxCascade5AsWrittenReadsBack() {
        Cascade c = one(CASCADE5.formatted("", "exp(RM[m1, p] - RM[m1 + 1, p])"));
        assertTrue(OnlineForm.untile(c).isPresent());
    }

    @Test
    void anUnguardedCorrectionUnderAMaskIsRefused() {
        // a mask can empty a whole tile, and then exp(-inf - -inf) is NaN in the cascade as written
        String mask = " where m1 * M0 + m0 <= p";
        assertTrue(OnlineForm.untile(one(CASCADE5.formatted(mask, "exp(RM[m1, p] - RM[m1 + 1, p])"))).isEmpty());
        assertTrue(OnlineForm.untile(one(CASCADE5.formatted(mask,
                "select(RM[m1, p] < RM[m1 + 1, p], exp(RM[m1, p] - RM[m1 + 1, p]), 1)"))).isPresent());
    }

    @Test
    void aSumWithoutTheCorrectionIsRefused() {
        assertTrue(OnlineForm.untile(one(CASCADE5.formatted("", "1"))).isEmpty());
        assertTrue(OnlineForm.untile(one(CASCADE5.formatted("", "exp(RM[m1 + 1, p] - RM[m1, p])"))).isEmpty());
    }

    @Test
    void aRunningValueReadInsideTheLoopIsRefused() {
        String text = CASCADE5.formatted("", "exp(RM[m1, p] - RM[m1 + 1, p])")
                .replace("SLD[m1, p]      = SLN[m1, m0, p]", "SLD[m1, p]      = SLN[m1, m0, p] * RD[m1, p]");
        assertTrue(OnlineForm.untile(one(text)).isEmpty());
    }

    @Test
    void untiledCascadeOfCascade5IsPlainSoftmax() {
        Cascade untiled = OnlineForm.untile(one(CASCADE5.formatted("", "exp(RM[m1, p] - RM[m1 + 1, p])"))).orElseThrow().cascade();
        String printed = Printer.print(untiled);
        assertTrue(printed.contains("RM[b, h, p] = BQK[b, h, m, p] :: max(m)"), printed);
        assertTrue(printed.contains("SLN[b, h, m, p] = exp(BQK[b, h, m, p] - RM[b, h, p])"), printed);
        assertTrue(printed.contains("AV[b, h, p, f] = RNV[b, h, p, f] / RD[b, h, p]"), printed);
    }
}
