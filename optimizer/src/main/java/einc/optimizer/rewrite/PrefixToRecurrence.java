package einc.optimizer.rewrite;

import einc.ir.Cascade;

/** Placeholder while the chunked recurrence is written. */
public final class PrefixToRecurrence implements Rewrite {

    private final long tile;

    public PrefixToRecurrence(long tile) {
        this.tile = tile;
    }

    @Override
    public String name() {
        return "prefix-to-recurrence";
    }

    @Override
    public String summary() {
        return "a sum under where m <= p becomes a chunked recurrence (dense within a chunk, a running state across chunks)";
    }

    @Override
    public Result apply(Cascade c) {
        return Result.notApplicable(c, "no prefix sum (tile " + tile + ")");
    }
}
