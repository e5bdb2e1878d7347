package einc.optimizer;

/**
 * Floating-point operations of a cascade or a statement, by kind: additions and subtractions,
 * multiplications, exp-like transcendental functions (exp, log, tanh, sigmoid, softplus, elu, pow,
 * sqrt, rsqrt), divisions, and comparisons (max, min, relu, abs, sign, the comparisons of a
 * condition). A fused multiply-add counts as one add and one multiply.
 */
public record FlopCount(long adds, long multiplies, long transcendentals, long divisions, long comparisons) {

    public static final FlopCount ZERO = new FlopCount(0, 0, 0, 0, 0);

    /** Every operation counted once, whatever its kind. */
    public long total() {
        return adds + multiplies + transcendentals + divisions + comparisons;
    }

    /** Multiply-adds: the smaller of adds and multiplies (what an FMA unit could pair). */
    public long multiplyAdds() {
        return Math.min(adds, multiplies);
    }

    public FlopCount plus(FlopCount o) {
        return new FlopCount(adds + o.adds, multiplies + o.multiplies, transcendentals + o.transcendentals,
                divisions + o.divisions, comparisons + o.comparisons);
    }

    public FlopCount times(long n) {
        return new FlopCount(Math.multiplyExact(adds, n), Math.multiplyExact(multiplies, n),
                Math.multiplyExact(transcendentals, n), Math.multiplyExact(divisions, n), Math.multiplyExact(comparisons, n));
    }
}
