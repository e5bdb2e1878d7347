package einc.cli;

import einc.ir.Code;
import einc.ir.DType;
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

    /**
     * Writes {@code d} to {@code file} in the declared type {@code type}: {@code <f4}, {@code <f8}
     * or {@code <f2}. {@code .npy} has no bf16 dtype, so a bf16 tensor's values are rounded to bf16
     * and written as {@code <f4}, which holds them exactly.
     * @throws EincException (code {@code io}) when the file cannot be written
     */
    static void write(Path file, Dense d, DType type) {
        long[] shape = new long[d.rank()];
        for (int i = 0; i < shape.length; i++) shape[i] = d.shape()[i];
        Tensor t = Tensor.zeros(elementType(type), shape);
        t.copyFrom(d.data());
        if (type == DType.BF16) t = t.to(ElementType.F32);
        try {
            Npy.write(file, t);
        } catch (IOException e) {
            throw EincException.plain(Code.IO, e.getMessage());
        }
    }

    private static ElementType elementType(DType type) {
        return switch (type) {
            case F32 -> ElementType.F32;
            case F64 -> ElementType.F64;
            case F16 -> ElementType.F16;
            case BF16 -> ElementType.BF16;
        };
    }
}
