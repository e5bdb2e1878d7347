package einc.codegen.cuda;

import einc.ir.Expr;
import java.util.List;

/**
 * A softmax-attention-shaped cascade, read off its statements by {@link AttentionRecognizer}:
 * {@code O[p, f] = sum_m w(p, m) V[m, f] / (normalized ? sum_m w(p, m) : 1)} over the points where
 * {@code mask} holds, with {@code w = exp(score - max_m score)} for softmax and {@code w = score}
 * otherwise. {@code emptyIsNaN}: the division by the sum is deferred to the end as written
 * ({@code SNV / SD}, unguarded), so a row the mask empties is 0 / 0 = NaN; otherwise such a row is 0
 * (a sum over no keys, or a division guarded by {@code select(SD == 0, 0, ...)}). Expressions use the canonical indices {@link #P} and {@link #M} (and the batch ranks),
 * and the raw dot product {@code sum_e Q[p, e] K[m, e]} as the access {@link #QK}. Free of CUDA, so
 * the shared optimizer can take it over.
 */
public record AttentionPattern(
        Expr.Access q,
        Expr.Access k,
        Expr.Access v,
        Expr.Access out,
        Expr score,
        Expr mask,
        List<Expr> maskAtoms,
        Normalization normalization,
        boolean emptyIsNaN) {

    /** The canonical query index. */
    public static final String P = "$p";
    /** The canonical key index. */
    public static final String M = "$m";
    /** The canonical head-dimension index of Q and K. */
    public static final String E = "$e";
    /** The canonical value-dimension index. */
    public static final String F = "$f";
    /** The raw dot product {@code sum_e Q[p, e] K[m, e]}. */
    public static final String QK = "$qk";

    /** How the weights are normalized over the keys. */
    public enum Normalization {
        /** {@code exp(score - max) / sum exp(score - max)}: an online softmax. */
        SOFTMAX,
        /** {@code score / sum score} (l1 normalization of a positive weight). */
        SUM,
        /** The weights as they are. */
        NONE
    }

    public AttentionPattern {
        maskAtoms = List.copyOf(maskAtoms);
    }
}
