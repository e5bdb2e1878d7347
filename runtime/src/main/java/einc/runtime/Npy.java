package einc.runtime;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0; little-endian
 * {@code <f4}, {@code <f8} and {@code <f2}; C order). Anything else is an {@link IOException}
 * whose message says, in one sentence, what is wrong with which file.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGNMENT = 64;

    private Npy() {}

    /** The parsed header of a {@code .npy} file: element type, shape, and where the data starts. */
    public record Header(ElementType type, long[] shape, long dataOffset) {}

    /** Reads {@code path} into a new heap tensor. */
    public static Tensor read(Path path) throws IOException {
        return read(path, null);
    }

    /** Reads {@code path} into a new tensor, off the heap in {@code arena}, or on the heap when it is null. */
    public static Tensor read(Path path, Arena arena) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            Header header = readHeader(path, channel);
            Tensor tensor = arena == null ? heapTensor(path, header) : Tensor.allocate(arena, header.type(), header.shape());
            long bytes = tensor.size() * header.type().bytes();
            long available = fileSize - header.dataOffset();
            if (available < bytes) {
                throw new IOException(path + ": truncated: the header promises " + bytes + " bytes of data but the file holds " + Math.max(available, 0));
            }
            if (bytes > 0) {
                try (Arena mapping = Arena.ofConfined()) {
                    MemorySegment data = channel.map(FileChannel.MapMode.READ_ONLY, header.dataOffset(), bytes, mapping);
                    MemorySegment.copy(data, 0, tensor.segment(), 0, bytes);
                }
            }
            return tensor;
        } catch (FileSystemException e) {
            throw fileError(path, e);
        }
    }

    /** The one sentence for a file that cannot be opened: missing, forbidden, a folder. */
    private static IOException fileError(Path path, FileSystemException e) {
        String why = switch (e) {
            case NoSuchFileException x -> "no such file";
            case AccessDeniedException x -> "permission denied";
            default -> e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
        };
        return new IOException(path + ": " + why, e);
    }

    private static Tensor heapTensor(Path path, Header header) throws IOException {
        try {
            return Tensor.zeros(header.type(), header.shape());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException(path + ": the array is too large for the heap; read it into an Arena", e);
        }
    }

    /** Reads and checks the header of {@code path} without reading the data. */
    public static Header readHeader(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return readHeader(path, channel);
        } catch (FileSystemException e) {
            throw fileError(path, e);
        }
    }

    private static Header readHeader(Path path, FileChannel channel) throws IOException {
        ByteBuffer prefix = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        readFully(path, channel, prefix, 0, "the magic string and header length");
        for (int i = 0; i < MAGIC.length; i++) {
            if (prefix.get(i) != MAGIC[i]) throw new IOException(path + ": not a .npy file (the magic string \\x93NUMPY is missing)");
        }
        int major = prefix.get(6) & 0xFF;
        long headerLength;
        int lengthBytes;
        switch (major) {
            case 1 -> {
                headerLength = prefix.getShort(8) & 0xFFFF;
                lengthBytes = 2;
            }
            case 2, 3 -> {
                headerLength = prefix.getInt(8) & 0xFFFFFFFFL;
                lengthBytes = 4;
            }
            default -> throw new IOException(path + ": .npy format version " + major + "." + (prefix.get(7) & 0xFF) + " is not supported (1.0, 2.0 and 3.0 are)");
        }
        long start = 8 + lengthBytes;
        if (headerLength > 1 << 24) throw new IOException(path + ": the header claims " + headerLength + " bytes, which is not a plausible .npy header");
        ByteBuffer text = ByteBuffer.allocate((int) headerLength);
        readFully(path, channel, text, start, "the header");
        String dict = new String(text.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        return parseHeader(path, dict, start + headerLength);
    }

    private static void readFully(Path path, FileChannel channel, ByteBuffer buffer, long position, String what) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) throw new IOException(path + ": truncated: the file ends inside " + what);
            pos += n;
        }
    }

    /** Parses the header dictionary, e.g. {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}. */
    static Header parseHeader(Path path, String dict, long dataOffset) throws IOException {
        HeaderParser p = new HeaderParser(path, dict);
        String descr = null;
        Boolean fortran = null;
        long[] shape = null;
        p.expect('{');
        while (!p.peek('}')) {
            String key = p.string();
            p.expect(':');
            switch (key) {
                case "descr" -> descr = p.string();
                case "fortran_order" -> fortran = p.bool();
                case "shape" -> shape = p.tuple();
                default -> throw p.error("unexpected key '" + key + "' (expected descr, fortran_order and shape)");
            }
            if (!p.peek('}')) p.expect(',');
        }
        p.expect('}');
        if (descr == null || fortran == null || shape == null) {
            throw new IOException(path + ": the header lacks " + (descr == null ? "'descr'" : fortran == null ? "'fortran_order'" : "'shape'"));
        }
        if (fortran) throw new IOException(path + ": Fortran-order arrays are not supported; save a C-order array (numpy.ascontiguousarray)");
        return new Header(elementType(path, descr), shape, dataOffset);
    }

    private static ElementType elementType(Path path, String descr) throws IOException {
        return switch (descr) {
            case "<f4" -> ElementType.F32;
            case "<f8" -> ElementType.F64;
            case "<f2" -> ElementType.F16;
            case ">f4", ">f8", ">f2" -> throw new IOException(path + ": big-endian dtype '" + descr + "' is not supported; save little-endian ('<f4' or '<f8')");
            default -> throw new IOException(path + ": dtype '" + descr + "' is not supported; save float32 ('<f4') or float64 ('<f8')");
        };
    }

    /** Writes {@code tensor} to {@code path} in C order, as {@code <f4}, {@code <f8} or {@code <f2}. */
    public static void write(Path path, Tensor tensor) throws IOException {
        String descr = switch (tensor.type()) {
            case F32 -> "<f4";
            case F64 -> "<f8";
            case F16 -> "<f2";
            case BF16 -> throw new IOException(path + ": bf16 has no .npy dtype; convert the tensor to f32 first (Tensor.to)");
        };
        byte[] header = header(descr, tensor.shape());
        long bytes = tensor.size() * tensor.type().bytes();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(channel, ByteBuffer.wrap(header));
            Tensor source = tensor.isContiguous() ? tensor : tensor.to(tensor.type());
            byte[] chunk = new byte[(int) Math.min(bytes, 1 << 20)];
            MemorySegment chunkSegment = MemorySegment.ofArray(chunk);
            for (long done = 0; done < bytes; ) {
                int n = (int) Math.min(chunk.length, bytes - done);
                MemorySegment.copy(source.segment(), done, chunkSegment, 0, n);
                writeFully(channel, ByteBuffer.wrap(chunk, 0, n));
                done += n;
            }
        } catch (NoSuchFileException e) {
            throw new IOException(path + ": cannot create the file (does its folder exist?)", e);
        } catch (FileSystemException e) {
            throw fileError(path, e);
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) channel.write(buffer);
    }

    /** The magic string, version, length and padded dictionary of a C-order array; version 2.0 only when 1.0 cannot hold it. */
    static byte[] header(String descr, long[] shape) {
        StringJoiner dims = new StringJoiner(", ", "(", shape.length == 1 ? ",)" : ")");
        for (long d : shape) dims.add(Long.toString(d));
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + dims + ", }";
        int version = padded(10, dict) - 10 > 0xFFFF ? 2 : 1;
        int prefix = version == 1 ? 10 : 12;
        int total = prefix + dict.length() + 1;
        int padded = padded(prefix, dict);
        String text = dict + " ".repeat(padded - total) + "\n";
        ByteBuffer out = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) version).put((byte) 0);
        if (version == 1) out.putShort((short) text.length());
        else out.putInt(text.length());
        out.put(text.getBytes(StandardCharsets.ISO_8859_1));
        return out.array();
    }

    private static int padded(int prefix, String dict) {
        int total = prefix + dict.length() + 1;
        return (total + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** A tiny reader of the Python literal syntax numpy writes in headers. */
    private static final class HeaderParser {
        private final Path path;
        private final String s;
        private int i;

        HeaderParser(Path path, String s) {
            this.path = path;
            this.s = s;
        }

        IOException error(String what) {
            return new IOException(path + ": malformed .npy header at character " + i + ": " + what);
        }

        void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        boolean peek(char c) {
            skipSpace();
            return i < s.length() && s.charAt(i) == c;
        }

        void expect(char c) throws IOException {
            if (!peek(c)) throw error("expected '" + c + "'");
            i++;
        }

        String string() throws IOException {
            skipSpace();
            if (i >= s.length() || (s.charAt(i) != '\'' && s.charAt(i) != '"')) throw error("expected a quoted string");
            char quote = s.charAt(i++);
            int end = s.indexOf(quote, i);
            if (end < 0) throw error("unterminated string");
            String out = s.substring(i, end);
            i = end + 1;
            return out;
        }

        boolean bool() throws IOException {
            skipSpace();
            if (s.startsWith("True", i)) {
                i += 4;
                return true;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return false;
            }
            throw error("expected True or False");
        }

        long[] tuple() throws IOException {
            expect('(');
            List<Long> dims = new ArrayList<>();
            while (!peek(')')) {
                int start = i;
                while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
                if (start == i) throw error("expected a non-negative integer in the shape");
                dims.add(Long.parseLong(s.substring(start, i)));
                if (peek('L')) i++;
                if (!peek(')')) expect(',');
            }
            expect(')');
            return dims.stream().mapToLong(Long::longValue).toArray();
        }
    }
}
