package einc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsTypeShapeAndValues() throws IOException {
        for (ElementType type : new ElementType[] {ElementType.F32, ElementType.F64, ElementType.F16}) {
            Tensor t = Tensor.zeros(type, 2, 3, 5);
            for (long i = 0; i < t.size(); i++) t.setFlat(i, i * 0.5 - 3);
            Path file = dir.resolve(type.spelling() + ".npy");
            Npy.write(file, t);
            assertEquals(0, (Files.size(file) - 30 * type.bytes()) % 64, "the data starts 64-byte aligned");
            Tensor back = Npy.read(file);
            assertEquals(type, back.type());
            assertArrayEquals(t.shape(), back.shape());
            assertArrayEquals(t.toDoubleArray(), back.toDoubleArray());
        }
    }

    @Test
    void roundTripOfScalarsVectorsAndOffHeapTensors() throws IOException {
        Path scalar = dir.resolve("s.npy");
        Npy.write(scalar, Tensor.of(new double[] {42}));
        assertEquals(0, Npy.read(scalar).rank());
        assertEquals(42, Npy.read(scalar).get());
        Path vector = dir.resolve("v.npy");
        Npy.write(vector, Tensor.of(new float[] {1, 2, 3}, 3));
        try (Arena arena = Arena.ofConfined()) {
            Tensor back = Npy.read(vector, arena);
            assertTrue(back.segment().isNative());
            assertArrayEquals(new float[] {1, 2, 3}, back.toFloatArray());
        }
    }

    @Test
    void stridedTensorsAreWrittenInCOrder() throws IOException {
        Tensor base = Tensor.of(new double[] {0, 1, 2, 3, 4, 5}, 2, 3);
        Tensor transposed = Tensor.wrap(base.segment(), ElementType.F64, new long[] {3, 2}, new long[] {1, 3});
        Path file = dir.resolve("t.npy");
        Npy.write(file, transposed);
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, Npy.read(file).toDoubleArray());
    }

    @Test
    void headerIsWhatNumpyWrites() {
        byte[] h = Npy.header("<f4", new long[] {3});
        assertEquals(128, h.length, "10 bytes of prefix and 59 of dictionary round up to 128, as numpy writes it");
        assertEquals(1, h[6]);
        String text = new String(h, 10, h.length - 10, StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), text);
        assertTrue(text.endsWith(" \n"));
        assertEquals(h.length - 10, ByteBuffer.wrap(h, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort());
    }

    @Test
    void readsAHandWrittenVersion1File() throws IOException {
        double[] values = {1.25, -2, 1e300, 0};
        Path file = handWritten("hand.npy", 1, "{\"descr\":\"<f8\",\"shape\":(2,2),\"fortran_order\":False}\n", littleEndian(values));
        Tensor t = Npy.read(file);
        assertEquals(ElementType.F64, t.type());
        assertArrayEquals(new long[] {2, 2}, t.shape());
        assertEquals(1e300, t.get(1, 0));
        assertArrayEquals(values, t.toDoubleArray());
    }

    @Test
    void readsAVersion2Header() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(3f).putFloat(-1f);
        Path file = handWritten("v2.npy", 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }   \n", data.array());
        Tensor t = Npy.read(file);
        assertArrayEquals(new long[] {2, 1}, t.shape());
        assertEquals(-1, t.get(1, 0));
    }

    @Test
    void unsupportedFilesFailWithOneConcreteSentence() throws IOException {
        assertMessage(handWritten("f.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n", new byte[4]), "Fortran-order");
        assertMessage(handWritten("i.npy", 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }\n", new byte[8]), "dtype '<i8' is not supported");
        assertMessage(handWritten("b.npy", 1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }\n", new byte[8]), "big-endian");
        assertMessage(handWritten("t.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }\n", new byte[15]), "truncated");
        assertMessage(handWritten("k.npy", 1, "{'descr': '<f4', 'shape': (4,), }\n", new byte[16]), "lacks 'fortran_order'");
        assertMessage(handWritten("s.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }\n", new byte[16]), "malformed .npy header");
        Path notNpy = dir.resolve("x.npy");
        Files.writeString(notNpy, "hello, world");
        assertMessage(notNpy, "not a .npy file");
        Path shortFile = dir.resolve("short.npy");
        Files.write(shortFile, Arrays.copyOf(Npy.header("<f4", new long[] {2}), 20));
        assertMessage(shortFile, "truncated");
        assertMessage(dir.resolve("missing.npy"), "no such file");
        IOException bf16 = assertThrows(IOException.class, () -> Npy.write(dir.resolve("bf.npy"), Tensor.zeros(ElementType.BF16, 2)));
        assertTrue(bf16.getMessage().contains("bf16 has no .npy dtype"), bf16.getMessage());
    }

    @Test
    void agreesWithNumpyWhenItIsInstalled() throws Exception {
        if (!numpyAvailable()) return; // cross-check only; the hand-written tests above are the contract
        Path ours = dir.resolve("ours.npy");
        Npy.write(ours, Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Path theirs = dir.resolve("theirs.npy");
        Process p = new ProcessBuilder("python3", "-c",
                "import numpy as np, sys; a = np.load(sys.argv[1]); assert a.dtype == np.float32 and a.shape == (2, 3), (a.dtype, a.shape);"
                        + " np.save(sys.argv[2], np.ascontiguousarray(a.T * 2, dtype=np.float64)); np.save(sys.argv[3], np.asfortranarray(a))",
                ours.toString(), theirs.toString(), dir.resolve("fortran.npy").toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), log);
        Tensor t = Npy.read(theirs);
        assertEquals(ElementType.F64, t.type());
        assertArrayEquals(new double[] {2, 8, 4, 10, 6, 12}, t.toDoubleArray());
        assertMessage(dir.resolve("fortran.npy"), "Fortran-order");
    }

    private static boolean numpyAvailable() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private void assertMessage(Path file, String expected) {
        IOException e = assertThrows(IOException.class, () -> Npy.read(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith(file.toString()), "names the file: " + e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\n'), "one line");
    }

    private Path handWritten(String name, int version, String dict, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        byte[] text = dict.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer length = ByteBuffer.allocate(version == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (version == 1) length.putShort((short) text.length);
        else length.putInt(text.length);
        out.write(length.array());
        out.write(text);
        out.write(data);
        Path file = dir.resolve(name);
        Files.write(file, out.toByteArray());
        return file;
    }

    private static byte[] littleEndian(double[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) b.putDouble(v);
        return b.array();
    }
}
