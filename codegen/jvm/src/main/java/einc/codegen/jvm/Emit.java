package einc.codegen.jvm;

import einc.ir.Expr;
import einc.ir.ReduceOp;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;

import static org.objectweb.asm.Opcodes.*;

/** Small bytecode idioms shared by the emitters: constants, f32 functions and operators. */
final class Emit {

    private Emit() {}

    static void constructor(ClassWriter cw) {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC, "<init>", "()V", null, null);
        mv.visitCode();
        mv.visitVarInsn(ALOAD, 0);
        mv.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    static void iconst(MethodVisitor mv, int v) {
        if (v >= -1 && v <= 5) mv.visitInsn(ICONST_0 + v);
        else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) mv.visitIntInsn(BIPUSH, v);
        else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) mv.visitIntInsn(SIPUSH, v);
        else mv.visitLdcInsn(v);
    }

    static void fconst(MethodVisitor mv, float v) {
        if (Float.floatToRawIntBits(v) == 0) mv.visitInsn(FCONST_0);
        else if (v == 1f) mv.visitInsn(FCONST_1);
        else if (v == 2f) mv.visitInsn(FCONST_2);
        else mv.visitLdcInsn(v);
    }

    /** Applies {@code fn} to the f32 on the stack. */
    static void unary(MethodVisitor mv, Expr.Fn fn) {
        switch (fn) {
            case NEG -> mv.visitInsn(FNEG);
            case NOT -> {
                // 1 when the operand is 0, else 0.
                org.objectweb.asm.Label zero = new org.objectweb.asm.Label(), end = new org.objectweb.asm.Label();
                fconst(mv, 0f);
                mv.visitInsn(FCMPL);
                mv.visitJumpInsn(IFEQ, zero);
                fconst(mv, 0f);
                mv.visitJumpInsn(GOTO, end);
                mv.visitLabel(zero);
                fconst(mv, 1f);
                mv.visitLabel(end);
            }
            case EXP -> math(mv, "exp");
            case LOG -> math(mv, "log");
            case SQRT -> math(mv, "sqrt");
            case TANH -> math(mv, "tanh");
            case RSQRT -> fns(mv, "rsqrt");
            case SIGMOID -> fns(mv, "sigmoid");
            case SOFTPLUS -> fns(mv, "softplus");
            case ELU -> fns(mv, "elu");
            case RELU -> {
                fconst(mv, 0f);
                mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "max", "(FF)F", false);
            }
            case ABS -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "abs", "(F)F", false);
            case SIGN -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "signum", "(F)F", false);
        }
    }

    private static void math(MethodVisitor mv, String name) {
        mv.visitInsn(F2D);
        mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", name, "(D)D", false);
        mv.visitInsn(D2F);
    }

    private static void fns(MethodVisitor mv, String name) {
        mv.visitMethodInsn(INVOKESTATIC, GenericEmitter.FNS, name, "(F)F", false);
    }

    /** Applies an arithmetic operator or two-argument function to the two f32 on the stack. */
    static void arith(MethodVisitor mv, Expr.Op op) {
        switch (op) {
            case ADD -> mv.visitInsn(FADD);
            case SUB -> mv.visitInsn(FSUB);
            case MUL -> mv.visitInsn(FMUL);
            case DIV -> mv.visitInsn(FDIV);
            case MIN -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "min", "(FF)F", false);
            case MAX -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "max", "(FF)F", false);
            case POW -> mv.visitMethodInsn(INVOKESTATIC, GenericEmitter.FNS, "pow", "(FF)F", false);
            default -> throw new IllegalArgumentException("not an arithmetic operator: " + op);
        }
    }

    /** Combines the accumulator and the value on the stack with a reduction operator. */
    static void combine(MethodVisitor mv, ReduceOp op) {
        switch (op) {
            case SUM -> mv.visitInsn(FADD);
            case PROD -> mv.visitInsn(FMUL);
            case MAX -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "max", "(FF)F", false);
            case MIN -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "min", "(FF)F", false);
        }
    }
}
