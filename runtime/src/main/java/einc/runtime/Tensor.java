package einc.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.StringJoiner;

/**
 * A strided array of one {@link ElementType} over a {@link MemorySegment}, on the heap or off it.
 * Elements are little-endian; strides count elements, not bytes; new tensors are row-major (last
 * rank contiguous). Values go in and out as {@code double}, rounded to the element type on the way in.
 */
public final class Tensor {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final ElementType type;
    private final long[] shape;
    private final long[] strides;
    private final long size;
    private final MemorySegment segment;

    private Tensor(ElementType type, long[] shape, long[] strides, MemorySegment segment) {
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " and strides " + Arrays.toString(strides) + " differ in rank");
        }
        long n = 1;
        long lastElement = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0) throw new IllegalArgumentException("negative extent " + shape[d] + " at rank " + d);
            if (strides[d] < 0) throw new IllegalArgumentException("negative stride " + strides[d] + " at rank " + d);
            n = Math.multiplyExact(n, shape[d]);
            if (shape[d] > 0) lastElement += (shape[d] - 1) * strides[d];
        }
        long needed = n == 0 ? 0 : (lastElement + 1) * type.bytes();
        if (segment.byteSize() < needed) {
            throw new IllegalArgumentException("a " + type.spelling() + " tensor of shape " + Arrays.toString(shape)
                    + " needs " + needed + " bytes but the segment has " + segment.byteSize());
        }
        this.type = type;
        this.shape = shape;
        this.strides = strides;
        this.size = n;
        this.segment = segment;
    }

    /** A zero-filled row-major tensor on the Java heap. */
    public static Tensor zeros(ElementType type, long... shape) {
        long n = elementCount(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(n + " elements do not fit in a heap array; allocate the tensor in an Arena");
        }
        int len = (int) n;
        MemorySegment segment = switch (type) {
            case F32 -> MemorySegment.ofArray(new float[len]);
            case F64 -> MemorySegment.ofArray(new double[len]);
            case F16, BF16 -> MemorySegment.ofArray(new short[len]);
        };
        return new Tensor(type, shape.clone(), rowMajorStrides(shape), segment);
    }

    /** A zero-filled row-major tensor off the heap, freed with {@code arena}. */
    public static Tensor allocate(Arena arena, ElementType type, long... shape) {
        long bytes = Math.multiplyExact(elementCount(shape), type.bytes());
        return new Tensor(type, shape.clone(), rowMajorStrides(shape), arena.allocate(bytes, 64));
    }

    /** A row-major view of {@code segment}'s first bytes, without copying. */
    public static Tensor wrap(MemorySegment segment, ElementType type, long... shape) {
        return new Tensor(type, shape.clone(), rowMajorStrides(shape), segment);
    }

    /** A strided view of {@code segment}, without copying; strides count elements. */
    public static Tensor wrap(MemorySegment segment, ElementType type, long[] shape, long[] strides) {
        return new Tensor(type, shape.clone(), strides.clone(), segment);
    }

    /** A new f64 heap tensor holding a copy of {@code data} in row-major order. */
    public static Tensor of(double[] data, long... shape) {
        Tensor t = zeros(ElementType.F64, shape);
        t.copyFrom(data);
        return t;
    }

    /** A new f32 heap tensor holding a copy of {@code data} in row-major order. */
    public static Tensor of(float[] data, long... shape) {
        Tensor t = zeros(ElementType.F32, shape);
        t.copyFrom(data);
        return t;
    }

    /** The strides (in elements) of a row-major array of {@code shape}. */
    public static long[] rowMajorStrides(long... shape) {
        long[] strides = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = s;
            s = Math.multiplyExact(s, Math.max(shape[d], 1));
        }
        return strides;
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative extent in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public ElementType type() {
        return type;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long dim(int rank) {
        return shape[rank];
    }

    public long[] strides() {
        return strides.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** The number of elements. */
    public long size() {
        return size;
    }

    public MemorySegment segment() {
        return segment;
    }

    /** Whether the elements lie row-major and back to back from the segment's start. */
    public boolean isContiguous() {
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != s) return false;
            s *= shape[d];
        }
        return true;
    }

    /** The element at {@code index} (one position per rank). */
    public double get(long... index) {
        return read(offset(index));
    }

    /** Stores {@code value}, rounded to the element type, at {@code index}. */
    public void set(long[] index, double value) {
        write(offset(index), value);
    }

    /** The {@code i}-th element in row-major order, whatever the strides. */
    public double getFlat(long i) {
        return read(flatOffset(i));
    }

    /** Stores {@code value} as the {@code i}-th element in row-major order. */
    public void setFlat(long i, double value) {
        write(flatOffset(i), value);
    }

    /** Sets every element to {@code value}. */
    public void fill(double value) {
        for (long i = 0; i < size; i++) write(flatOffset(i), value);
    }

    /** Fills with NaN, so that a test sees any element a kernel forgot to write. */
    public void poison() {
        fill(Double.NaN);
    }

    /** A copy of the elements in row-major order. */
    public double[] toDoubleArray() {
        double[] out = new double[checkedLength()];
        for (int i = 0; i < out.length; i++) out[i] = getFlat(i);
        return out;
    }

    /** A copy of the elements in row-major order, rounded to float. */
    public float[] toFloatArray() {
        float[] out = new float[checkedLength()];
        for (int i = 0; i < out.length; i++) out[i] = (float) getFlat(i);
        return out;
    }

    /** Overwrites every element from {@code data}, given in row-major order. */
    public void copyFrom(double[] data) {
        checkLength(data.length);
        for (int i = 0; i < data.length; i++) setFlat(i, data[i]);
    }

    /** Overwrites every element from {@code data}, given in row-major order. */
    public void copyFrom(float[] data) {
        checkLength(data.length);
        for (int i = 0; i < data.length; i++) setFlat(i, data[i]);
    }

    /** A row-major heap copy with elements converted (rounded) to {@code target}. */
    public Tensor to(ElementType target) {
        Tensor out = zeros(target, shape);
        if (target == type && isContiguous()) {
            MemorySegment.copy(segment, 0, out.segment, 0, size * type.bytes());
        } else {
            for (long i = 0; i < size; i++) out.setFlat(i, getFlat(i));
        }
        return out;
    }

    @Override
    public String toString() {
        StringJoiner dims = new StringJoiner("x");
        for (long d : shape) dims.add(Long.toString(d));
        return "Tensor[" + type.spelling() + " " + (shape.length == 0 ? "scalar" : dims.toString()) + "]";
    }

    private int checkedLength() {
        if (size > Integer.MAX_VALUE - 8) throw new IllegalStateException(size + " elements do not fit in a Java array");
        return (int) size;
    }

    private void checkLength(int length) {
        if (length != size) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " holds " + size + " elements, the array " + length);
        }
    }

    private long offset(long[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("tensor of rank " + shape.length + " indexed with " + index.length + " positions");
        }
        long off = 0;
        for (int d = 0; d < shape.length; d++) {
            if (index[d] < 0 || index[d] >= shape[d]) {
                throw new IndexOutOfBoundsException("position " + index[d] + " at rank " + d + " is outside 0.." + (shape[d] - 1));
            }
            off += index[d] * strides[d];
        }
        return off;
    }

    private long flatOffset(long i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("element " + i + " of " + size);
        long off = 0;
        for (int d = shape.length - 1; d >= 0; d--) {
            off += (i % shape[d]) * strides[d];
            i /= shape[d];
        }
        return off;
    }

    private double read(long element) {
        return switch (type) {
            case F32 -> segment.getAtIndex(F32, element);
            case F64 -> segment.getAtIndex(F64, element);
            case F16 -> Float.float16ToFloat(segment.getAtIndex(F16, element));
            case BF16 -> bf16ToFloat(segment.getAtIndex(F16, element));
        };
    }

    private void write(long element, double value) {
        switch (type) {
            case F32 -> segment.setAtIndex(F32, element, (float) value);
            case F64 -> segment.setAtIndex(F64, element, value);
            case F16 -> segment.setAtIndex(F16, element, Float.floatToFloat16((float) value));
            case BF16 -> segment.setAtIndex(F16, element, floatToBf16((float) value));
        }
    }

    /** The float whose upper 16 bits are {@code bits}. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** The upper 16 bits of {@code f}, rounded to nearest even; NaN stays a (quiet) NaN. */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }
}
