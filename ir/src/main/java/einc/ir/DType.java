package einc.ir;

/** Element types a tensor may be declared with (LANGUAGE.md §4). */
public enum DType {
    F32("f32", 4), F16("f16", 2), BF16("bf16", 2), F64("f64", 8);

    private final String spelling;
    private final int bytes;

    DType(String spelling, int bytes) {
        this.spelling = spelling;
        this.bytes = bytes;
    }

    public String spelling() {
        return spelling;
    }

    public int bytes() {
        return bytes;
    }

    /** The type spelled {@code s} in source, or null. */
    public static DType parse(String s) {
        for (DType t : values()) if (t.spelling.equals(s)) return t;
        return null;
    }
}
