package einc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TensorTest {

    @Test
    void rowMajorIndexingMatchesTheFlatOrder() {
        Tensor t = Tensor.zeros(ElementType.F64, 2, 3, 4);
        assertArrayEquals(new long[] {12, 4, 1}, t.strides());
        for (long i = 0; i < t.size(); i++) t.setFlat(i, i);
        assertEquals(1 * 12 + 2 * 4 + 3, t.get(1, 2, 3));
        t.set(new long[] {0, 1, 2}, -7.5);
        assertEquals(-7.5, t.getFlat(6));
        assertTrue(t.isContiguous());
    }

    @Test
    void elementsAreLittleEndianInTheSegment() {
        Tensor t = Tensor.of(new float[] {1.5f, -2f}, 2);
        assertEquals(1.5f, t.segment().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
        assertEquals((byte) 0xC0, t.segment().get(ValueLayout.JAVA_BYTE, 7), "the sign and exponent byte of -2f comes last");
    }

    @Test
    void stridedViewsReadTheRightElements() {
        Tensor base = Tensor.of(new double[] {0, 1, 2, 3, 4, 5}, 2, 3);
        Tensor transposed = Tensor.wrap(base.segment(), ElementType.F64, new long[] {3, 2}, new long[] {1, 3});
        assertFalse(transposed.isContiguous());
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, transposed.toDoubleArray());
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, transposed.to(ElementType.F64).toDoubleArray());
    }

    @Test
    void offHeapTensorsStartAtZeroAndHoldValues() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(arena, ElementType.F32, 3, 5);
            assertTrue(t.segment().isNative());
            assertArrayEquals(new float[15], t.toFloatArray());
            t.fill(0.25);
            assertEquals(0.25, t.get(2, 4));
        }
    }

    @Test
    void poisonFillsWithNaN() {
        Tensor t = Tensor.zeros(ElementType.F32, 4);
        t.poison();
        for (double v : t.toDoubleArray()) assertTrue(Double.isNaN(v));
    }

    @Test
    void reducedPrecisionTypesRoundOnStore() {
        Tensor h = Tensor.zeros(ElementType.F16, 2);
        h.copyFrom(new double[] {1.0 + 1e-4, 65504});
        assertEquals(1.0, h.getFlat(0), "f16 keeps 10 mantissa bits");
        assertEquals(65504, h.getFlat(1));
        Tensor b = Tensor.zeros(ElementType.BF16, 3);
        b.copyFrom(new float[] {1.0f + 1.0f / 256, 3.0f, Float.NaN});
        assertEquals(1.0, b.getFlat(0), "1 + 2^-8 is a tie in bf16 and rounds to even");
        assertEquals(3.0, b.getFlat(1));
        assertTrue(Double.isNaN(b.getFlat(2)));
        assertEquals(2, ElementType.BF16.bytes());
        assertEquals(6, b.segment().byteSize());
    }

    @Test
    void scalarsHaveOneElement() {
        Tensor s = Tensor.zeros(ElementType.F64);
        assertEquals(1, s.size());
        s.set(new long[0], 4);
        assertEquals(4, s.get());
    }

    @Test
    void mistakesAreRejectedWithTheirCause() {
        Tensor t = Tensor.zeros(ElementType.F32, 2, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0));
        assertThrows(IllegalArgumentException.class, () -> t.get(0));
        assertThrows(IllegalArgumentException.class, () -> t.copyFrom(new double[3]));
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> Tensor.wrap(MemorySegment.ofArray(new float[3]), ElementType.F32, 2, 2));
        assertTrue(small.getMessage().contains("needs 16 bytes"), small.getMessage());
    }
}
