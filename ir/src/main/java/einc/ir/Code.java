package einc.ir;

/**
 * Every diagnostic einc can produce, with its message text. Messages are lower case and concrete;
 * {@code %s} placeholders are filled in order. The id is stable: tests and users match on it.
 */
public enum Code {
    // --- syntax
    SYNTAX("syntax", "%s"),
    // --- names
    UNKNOWN_TENSOR("unknown-tensor", "unknown tensor '%s'"),
    UNKNOWN_INDEX("unknown-index", "unknown index '%s'"),
    UNKNOWN_NAME("unknown-name", "unknown name '%s'"),
    UNKNOWN_FUNCTION("unknown-function", "unknown function '%s'"),
    UNKNOWN_TYPE("unknown-type", "unknown type '%s'"),
    UNKNOWN_REDUCTION("unknown-reduction", "unknown reduction operator '%s'"),
    DUPLICATE_NAME("duplicate-name", "'%s' is declared twice"),
    DUPLICATE_CASCADE("duplicate-cascade", "cascade '%s' is defined twice"),
    NAME_CLASHES_WITH_EXTENT("name-clashes-with-extent", "%s '%s' has the name of the extent of index '%s'"),
    INDEX_NOT_LOWER_CASE("index-not-lower-case", "index '%s' must be lower case"),
    NAME_CLASHES_WITH_INDEX("name-clashes-with-index", "%s '%s' has the name of an index"),
    DUPLICATE_INDEX("duplicate-index", "index '%s' appears twice in %s"),
    ARGUMENT_COUNT("argument-count", "'%s' takes %s but is given %s"),
    BAD_PARAM_DEFAULT("bad-param-default", "the default of parameter '%s' refers to %s '%s'"),
    // --- ranks and extents
    ARITY_MISMATCH("arity-mismatch", "'%s' has %s ranks but is accessed with %s"),
    EXTENT_CONFLICT("extent-conflict", "index '%s' has extent %s in %s but %s in %s"),
    EXTENT_UNDETERMINED("extent-undetermined", "the extent of index '%s' cannot be determined"),
    NOT_AFFINE("not-affine", "index expression '%s' is not affine: %s"),
    BAD_SPLIT("bad-split", "%s"),
    // --- statements
    REDUCTION_MISMATCH("reduction-mismatch", "reduction list (%s) does not match the reduced indices (%s)"),
    TWO_REDUCTIONS("two-reductions", "one reduction per statement: this statement has two"),
    MISPLACED_REDUCTION("misplaced-reduction", "a reduction '::' must apply to the whole right-hand side of a statement"),
    READ_BEFORE_ASSIGNED("read-before-assigned", "'%s' is read before it is assigned"),
    ASSIGNED_TWICE("assigned-twice", "'%s' is assigned twice"),
    ASSIGN_TO_INPUT("assign-to-input", "input '%s' cannot be assigned"),
    OUTPUT_NOT_ASSIGNED("output-not-assigned", "output '%s' is never assigned"),
    BAD_TARGET("bad-target", "%s"),
    TYPE_MISMATCH("type-mismatch", "%s"),
    // --- recurrences
    RECURRENCE_NOT_CONTIGUOUS("recurrence-not-contiguous", "the statements of the recurrence over '%s' are not contiguous"),
    BAD_RECURRENCE("bad-recurrence", "%s"),
    BAD_INIT("bad-init", "%s"),
    // --- binding (run time)
    SHAPE_MISMATCH("shape-mismatch", "%s"),
    DIVISION_BY_ZERO("division-by-zero", "index expression '%s' divides by zero: %s is 0%s"),
    MISSING_PARAM("missing-param", "parameter '%s' has no default and no value was given"),
    UNKNOWN_PARAM("unknown-param", "cascade '%s' has no parameter '%s'"),
    MISSING_INPUT("missing-input", "%s"),
    UNKNOWN_CASCADE("unknown-cascade", "%s"),
    BAD_ARGUMENT("bad-argument", "%s"),
    IO("io", "%s"),
    UNSUPPORTED("unsupported", "%s");

    private final String id;
    private final String template;

    Code(String id, String template) {
        this.id = id;
        this.template = template;
    }

    public String id() {
        return id;
    }

    public String format(Object... args) {
        return args.length == 0 ? template : String.format(java.util.Locale.ROOT, template, args);
    }

    public static Code byId(String id) {
        for (Code c : values()) if (c.id.equals(id)) return c;
        return null;
    }
}
