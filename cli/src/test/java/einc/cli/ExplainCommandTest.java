package einc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code einc explain} run in-process on the FuseMax examples: the report, --json, --dot, and mistakes. */
class ExplainCommandTest {

    static final String CASCADE4 = Path.of("..", "examples", "fusemax", "cascade4.ein").toString();

    @TempDir
    Path dir;

    record Result(int status, String out, String err) {}

    static Result einc(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        int status = Main.execute(cli, args);
        return new Result(status, out.toString(), err.toString());
    }

    @Test
    void cascade4IsThreePassesOverMBecauseOfGmAndSd() {
        Result r = einc("explain", CASCADE4);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("cascade attention: 3 passes over m, 1 pass over e\n"), r.out());
        assertTrue(r.out().contains("because GM is complete over m only after all of m; SN re-reads QK"), r.out());
        assertTrue(r.out().contains("because SD is complete over m only after all of m; A re-reads SN"), r.out());
    }

    @Test
    void shapeGivesNumbers() {
        Result r = einc("explain", CASCADE4, "--shape", "b=1,h=1,p=2,m=3,e=4,f=5");
        assertEquals(0, r.status(), r.err());
        // 3·E·M·P + 2·F·M·P + 5·M·P with scale·Q·K counted as two multiplies: 72 + 60 + 30
        assertTrue(r.out().contains("= 162"), r.out());
    }

    @Test
    void jsonIsTheToolContract() {
        Result r = einc("explain", CASCADE4, "--json");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("{\n  \"cascade\": \"attention\","), r.out());
        assertTrue(r.out().contains("\"passes\": {\n    \"m\": 3,\n    \"e\": 1\n  }"), r.out());
        assertTrue(r.out().contains("\"name\": \"QK\""), r.out());
    }

    @Test
    void dotWritesThePicture() throws IOException {
        Path out = dir.resolve("c4.dot");
        Result r = einc("explain", CASCADE4, "--dot", out.toString());
        assertEquals(0, r.status(), r.err());
        String dot = Files.readString(out);
        assertTrue(dot.startsWith("digraph \"attention\" {"), dot);
        assertEquals(3, dot.lines().filter(l -> l.contains("subgraph \"cluster_")).count());
        assertTrue(r.err().startsWith("einc: wrote " + out), r.err());
        if (r.err().contains(" and ")) assertTrue(Files.readString(dir.resolve("c4.svg")).contains("<svg"));
    }

    @Test
    void unknownShapeIndexIsAMistake() {
        Result r = einc("explain", CASCADE4, "--shape", "q=3");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("--shape names index 'q', which cascade 'attention' does not have"), r.err());
    }

    @Test
    void unknownCascadeIsAMistake() {
        Result r = einc("explain", CASCADE4, "--cascade", "nope");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("has no cascade 'nope'"), r.err());
    }
}
