package einc.codegen.jvm;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;
import org.objectweb.asm.util.Textifier;
import org.objectweb.asm.util.TraceClassVisitor;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Reads generated classes back: as text ({@code --emit=bytecode}) and through ASM's verifier. */
public final class Bytecode {

    private Bytecode() {}

    /** The class as ASM's Textifier prints it. */
    public static String text(byte[] classBytes) {
        StringWriter out = new StringWriter();
        new ClassReader(classBytes).accept(new TraceClassVisitor(null, new Textifier(), new PrintWriter(out)), 0);
        return out.toString();
    }

    /**
     * Checks the class with {@link CheckClassAdapter} (structure and data flow).
     *
     * @return an empty string when the class is valid, else what is wrong
     */
    public static String check(byte[] classBytes) {
        StringWriter out = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(classBytes), Bytecode.class.getClassLoader(), false, new PrintWriter(out));
        return out.toString();
    }
}
