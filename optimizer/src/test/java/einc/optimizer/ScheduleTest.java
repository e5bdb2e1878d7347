package einc.optimizer;

import einc.ir.Cascade;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop nests of the examples: which statements share a nest, over which ranks, and what stays local. */
class ScheduleTest {

    static Schedule schedule(String example) {
        return Schedule.of(ExamplesTest.only(example));
    }

    @Test
    void printAll() throws Exception {
        try (var files = java.nio.file.Files.walk(ExamplesTest.EXAMPLES)) {
            for (var f : files.filter(p -> p.toString().endsWith(".ein")).sorted().toList()) {
                for (Cascade c : ExamplesTest.compile(f)) {
                    System.out.println("== " + f + " " + c.name());
                    System.out.print(Schedule.of(c).render());
                    System.out.println("-- optimized");
                    System.out.print(Schedule.of(Pipeline.run(c, Pipeline.Options.defaults()).optimized()).render());
                }
            }
        }
    }
}
