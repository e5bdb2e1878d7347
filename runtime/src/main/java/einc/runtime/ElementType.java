package einc.runtime;

import java.util.Locale;

/** The element types a tensor can hold, with their size in bytes; stored little-endian. */
public enum ElementType {
    F32(4), F64(8), F16(2), BF16(2);

    private final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** The lower-case spelling used in {@code .ein} files and messages: {@code f32}, {@code bf16}. */
    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }
}
