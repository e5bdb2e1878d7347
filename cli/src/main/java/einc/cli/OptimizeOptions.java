package einc.cli;

import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.EincException;
import einc.optimizer.Pipeline;
import picocli.CommandLine.Option;

/** The options of the commands that compile the optimized plan ({@code run}, {@code compile}), as a picocli mixin. */
final class OptimizeOptions {

    @Option(names = "--no-optimize", description = "Use the cascade as written, without the rewrites (which keep the numbers, up to rounding).")
    boolean noOptimize;

    @Option(names = "--tile", paramLabel = "N", description = "Tile size of the ranks the rewrites split. Default: 64.")
    Long tile;

    /** The cascade as written and the plan to compile: optimized unless {@code --no-optimize}. */
    Backends.Plan plan(Cascade written) {
        if (noOptimize) return new Backends.Plan(written, written);
        if (tile != null && tile <= 0) throw EincException.plain(Code.BAD_ARGUMENT, "--tile must be positive, got " + tile);
        Pipeline.Options options = tile == null ? Pipeline.Options.defaults() : Pipeline.Options.defaults().withTile(tile);
        return new Backends.Plan(written, Pipeline.run(written, options).optimized());
    }
}
