package einc.codegen.jvm;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Source;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the generic class is made of: intermediates held for one outer point, row kernels, lane-wise loops, loop bounds. */
class GenericScheduleTest {

    static Cascade example(String name) throws IOException {
        Path file = Path.of("../../examples/attention", name);
        return Frontend.compile(new Source(file.toString(), Files.readString(file))).getFirst();
    }

    static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) n++;
        return n;
    }

    @Test
    void differentialHoldsEveryIntermediateAsARowOfOneQuery() throws IOException {
        Cascade c = example("differential.ein");
        KernelPlan plan = new KernelPlan(c);
        for (String t : List.of("QK1", "MX1", "EX1", "SM1", "QK2", "MX2", "EX2", "SM2", "A")) {
            int p = c.tensorOrThrow(t).indexNames().indexOf("p");
            assertTrue(plan.dropped(t, p), t + " is stored whole over p");
        }
        assertFalse(plan.dropped("AV", c.tensorOrThrow("AV").indexNames().indexOf("p")), "the output is stored whole");
        String text = Bytecode.text(new GenericEmitter(plan, "einc/runtime/gen/K_test").emit());
        // QK1, QK2: dot products; MX1, MX2: row maxima; SM1, SM2: row sums; AV: scaled adds of rows of V.
        assertEquals(2, count(text, "INVOKESTATIC einc/runtime/gen/K_test.rowDot"));
        assertEquals(2, count(text, "INVOKESTATIC einc/runtime/gen/K_test.rowMax"));
        assertEquals(2, count(text, "INVOKESTATIC einc/runtime/gen/K_test.rowSum"));
        assertEquals(1, count(text, "INVOKESTATIC einc/runtime/gen/K_test.rowAxpy"));
        // EX1, EX2, A: lane-wise exp and arithmetic, each with a vector loop.
        String statements = text.substring(text.indexOf("static s0("));
        assertEquals(3, count(statements, "INVOKEVIRTUAL jdk/incubator/vector/FloatVector.intoArray"));
    }

    @Test
    void aCausalMaskIsALoopBoundNotATest() throws IOException {
        Cascade c = example("causal.ein");
        String text = Bytecode.text(new GenericEmitter(new KernelPlan(c), "einc/runtime/gen/K_test").emit());
        String qk = text.substring(text.indexOf("static s0("), text.indexOf("static s1("));
        // The bound m < floor(p) + 1 is computed once per row; no comparison of m and p in the loop.
        assertTrue(qk.contains("java/lang/Math.floor"), qk);
        assertFalse(qk.contains("FCMPG"), qk);
    }
}
