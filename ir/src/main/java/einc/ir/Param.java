package einc.ir;

/** {@code param NAME (= EXPR)?}: a run-time f32 scalar; {@code defaultValue} is null when it must be supplied. */
public record Param(String name, Expr defaultValue, Span span) {}
