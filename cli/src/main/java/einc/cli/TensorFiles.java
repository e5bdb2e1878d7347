package einc.cli;

import einc.ir.Code;
import einc.ir.Dense;
import einc.ir.EincException;
import einc.runtime.ElementType;
import einc.runtime.Npy;
import einc.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Path;

/** Moves arrays between {@code .npy} files (runtime tensors) and the interpreter's float64 {@link Dense}. */
final class TensorFiles {

    private TensorFiles() {}

    /** The array in {@code file}, widened to float64. @throws EincException (code {@code io}) with the reader's sentence */
    static Dense read(Path file) {
        Tensor t;
        try {
            t = Npy.read(file);
        } catch (IOException e) {
            throw EincException.plain(Code.IO, e.getMessage());
        }
        long[] shape = t.shape();
        int[] ints = new int[shape.length];
        for (int i = 0; i < shape.length; i++) ints[i] = Math.toIntExact(shape[i]);
        return new Dense(ints, t.toDoubleArray());
    }

    /** Writes {@code d} to {@code file} as float32. @throws EincException (code {@code io}) when the file cannot be written */
    static void writeF32(Path file, Dense d) {
        long[] shape = new long[d.rank()];
        for (int i = 0; i < shape.length; i++) shape[i] = d.shape()[i];
        Tensor t = Tensor.zeros(ElementType.F32, shape);
        t.copyFrom(d.data());
        try {
            Npy.write(file, t);
        } catch (IOException e) {
            throw EincException.plain(Code.IO, e.getMessage());
        }
    }
}
