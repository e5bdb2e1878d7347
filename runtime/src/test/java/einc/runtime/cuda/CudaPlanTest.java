package einc.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import einc.runtime.cuda.CudaPlan.Buffer;
import einc.runtime.cuda.CudaPlan.Dim;
import einc.runtime.cuda.CudaPlan.ExtentRule;
import einc.runtime.cuda.CudaPlan.Grid;
import einc.runtime.cuda.CudaPlan.Launch;
import einc.runtime.cuda.CudaPlan.Loop;
import einc.runtime.cuda.CudaPlan.ParamSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan manifest reads back to the same plan. */
class CudaPlanTest {

    @Test
    void manifestRoundTrips() {
        CudaPlan p = new CudaPlan("attention",
                List.of(ExtentRule.input("p", "Q", 2), ExtentRule.splitOuter("m1", "m", 16), ExtentRule.splitInner("m0", 16), ExtentRule.given("w")),
                List.of(new Buffer("Q", CudaPlan.Role.INPUT, CudaPlan.Type.BF16, false, List.of(new Dim("p", false))),
                        new Buffer("$R", CudaPlan.Role.TEMP, CudaPlan.Type.F32, true, List.of(new Dim("m1", true), new Dim("p", false)))),
                List.of(new ParamSpec("scale", true), new ParamSpec("cap", false)),
                List.of(new Launch("k_params", Grid.ONE, Grid.ONE, Grid.ONE, 1, 0),
                        new Loop("m1", List.of(new Launch("k_s1", new Grid(List.of("p", "m0"), 256), Grid.ONE, Grid.ONE, 256, 0))),
                        new Launch("k_flash_d{D}", new Grid(List.of("p"), 64), new Grid(List.of("b", "h"), 1), Grid.ONE, 128, 46080, List.of("e", "f"), 87040)));
        assertEquals(p, CudaPlan.parse(p.toText()));
    }
}
