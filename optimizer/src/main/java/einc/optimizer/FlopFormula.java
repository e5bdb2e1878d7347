package einc.optimizer;

/** {@link FlopCount} as polynomials in extents, before extents are known. */
public record FlopFormula(Poly adds, Poly multiplies, Poly transcendentals, Poly divisions, Poly comparisons) {

    public static final FlopFormula ZERO = new FlopFormula(Poly.ZERO, Poly.ZERO, Poly.ZERO, Poly.ZERO, Poly.ZERO);

    /** {@code perPoint} operations at each of {@code points} points, plus {@code once}. */
    static FlopFormula of(FlopCount perPoint, Poly points, FlopCount once) {
        return new FlopFormula(
                points.times(perPoint.adds()).plus(Poly.constant(once.adds())),
                points.times(perPoint.multiplies()).plus(Poly.constant(once.multiplies())),
                points.times(perPoint.transcendentals()).plus(Poly.constant(once.transcendentals())),
                points.times(perPoint.divisions()).plus(Poly.constant(once.divisions())),
                points.times(perPoint.comparisons()).plus(Poly.constant(once.comparisons())));
    }

    public Poly total() {
        return adds.plus(multiplies).plus(transcendentals).plus(divisions).plus(comparisons);
    }

    public FlopFormula plus(FlopFormula o) {
        return new FlopFormula(adds.plus(o.adds), multiplies.plus(o.multiplies), transcendentals.plus(o.transcendentals),
                divisions.plus(o.divisions), comparisons.plus(o.comparisons));
    }

    public FlopCount evaluate(ExtentTable t) {
        return new FlopCount(adds.evaluate(t), multiplies.evaluate(t), transcendentals.evaluate(t),
                divisions.evaluate(t), comparisons.evaluate(t));
    }
}
