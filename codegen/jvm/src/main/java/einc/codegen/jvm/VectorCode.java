package einc.codegen.jvm;

import einc.ir.Expr;
import einc.optimizer.attention.AttentionMatch;

/** Which functions and operators the vector path has: their {@code VectorOperators} field, or null. */
final class VectorCode {

    static final String FV = "jdk/incubator/vector/FloatVector";
    static final String FV_DESC = "L" + FV + ";";
    static final String OPS = "jdk/incubator/vector/VectorOperators";

    /** What the fused kernel computes lane-wise, for {@link AttentionMatch}. */
    static final AttentionMatch.Support SUPPORT = new AttentionMatch.Support(
            fn -> unary(fn) != null || helper(fn) != null, op -> binary(op) != null, "the vector path");

    private VectorCode() {}

    static String unary(Expr.Fn fn) {
        return switch (fn) {
            case NEG -> "NEG";
            case EXP -> "EXP";
            case LOG -> "LOG";
            case SQRT -> "SQRT";
            case TANH -> "TANH";
            case ABS -> "ABS";
            default -> null;
        };
    }

    /** The {@link AttentionTemplate} method that computes {@code fn} lane-wise, where no single operator does, or null. */
    static String helper(Expr.Fn fn) {
        return switch (fn) {
            case SIGMOID -> "sigmoid";
            case SOFTPLUS -> "softplus";
            case RELU -> "relu";
            default -> null;
        };
    }

    static String binary(Expr.Op op) {
        return switch (op) {
            case ADD -> "ADD";
            case SUB -> "SUB";
            case MUL -> "MUL";
            case DIV -> "DIV";
            case MIN -> "MIN";
            case MAX -> "MAX";
            case POW -> "POW";
            default -> null;
        };
    }
}
