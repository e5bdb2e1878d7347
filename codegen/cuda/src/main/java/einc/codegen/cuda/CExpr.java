package einc.codegen.cuda;

import einc.ir.Expr;
import einc.ir.IndexExpr;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes IR expressions as CUDA C++ float expressions that follow the reference interpreter's
 * absent-entry rules: an access out of its tensor's extent sets the local flag {@code miss}, a read
 * of an absent entry sets {@code absn}; {@code select}, {@code &&} and {@code ||} evaluate only the
 * branch they need. Index variables are the locals {@code i_<name>}, extents {@code X_<name>}.
 */
final class CExpr {

    /** How the emitter writes a read of a tensor: given the tensor name and its positions (C index expressions). */
    interface AccessWriter {
        String access(String tensor, List<String> positions);
    }

    private final AccessWriter accesses;
    private final Map<String, Integer> paramSlots;
    private final Function<String, String> indexName;
    /** Whether transcendental functions may use the hardware approximations (bf16/f16 kernels only). */
    private final boolean fast;

    CExpr(AccessWriter accesses, Map<String, Integer> paramSlots, Function<String, String> indexName) {
        this(accesses, paramSlots, indexName, false);
    }

    CExpr(AccessWriter accesses, Map<String, Integer> paramSlots, Function<String, String> indexName, boolean fast) {
        this.accesses = accesses;
        this.paramSlots = paramSlots;
        this.indexName = indexName;
        this.fast = fast;
    }

    static String extent(String index) {
        return "X_" + index;
    }

    static String index(String index) {
        return "i_" + index;
    }

    /** A float literal; infinities and NaN by bit pattern (no headers under NVRTC). */
    static String literal(double v) {
        if (Double.isNaN(v)) return "__int_as_float(0x7fc00000)";
        if (v == Double.POSITIVE_INFINITY) return "__int_as_float(0x7f800000)";
        if (v == Double.NEGATIVE_INFINITY) return "__int_as_float(0xff800000)";
        float f = (float) v;
        String s = Float.toString(f);
        return (f < 0 ? "(" + s + "f)" : s + "f");
    }

    /** An index position as a C {@code long long} expression. */
    String index(IndexExpr e) {
        return switch (e) {
            case IndexExpr.Idx(String n) -> indexName.apply(n);
            case IndexExpr.Ext(String n) -> extent(n);
            case IndexExpr.Lit(long v) -> v + "LL";
            case IndexExpr.INeg(IndexExpr a) -> "(-" + index(a) + ")";
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> switch (op) {
                case ADD -> "(" + index(a) + " + " + index(b) + ")";
                case SUB -> "(" + index(a) + " - " + index(b) + ")";
                case MUL -> "(" + index(a) + " * " + index(b) + ")";
                case DIV -> "einc_floordiv(" + index(a) + ", " + index(b) + ")";
                case MOD -> "einc_floormod(" + index(a) + ", " + index(b) + ")";
            };
        };
    }

    /** A value as a C float expression. */
    String value(Expr e) {
        return switch (e) {
            case Expr.Const(double v) -> literal(v);
            case Expr.ParamRef(String n) -> {
                Integer slot = paramSlots.get(n);
                if (slot == null) throw new IllegalStateException("parameter '" + n + "' has no slot");
                yield "prm[" + (2 * slot) + "]";
            }
            case Expr.ExtentRef(String n) -> "((float)" + extent(n) + ")";
            case Expr.IndexValue(String n) -> "((float)" + indexName.apply(n) + ")";
            case Expr.Access a -> accesses.access(a.tensor(), a.indices().stream().map(this::index).toList());
            case Expr.Unary(Expr.Fn fn, Expr x) -> fast ? fastUnary(fn, value(x)) : unary(fn, value(x));
            // a * (1 / b): the reciprocal of a loop-invariant b (softcap's cap) is hoisted out of the key loop
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> fast && op == Expr.Op.DIV
                    ? "(" + value(a) + " * __fdividef(1.f, " + value(b) + "))" : binary(op, a, b);
            case Expr.Select(Expr c, Expr a, Expr b) -> "[&]() -> float { const float c_ = " + value(c)
                    + "; if (miss || absn) return 0.f; return c_ != 0.f ? " + value(a) + " : " + value(b) + "; }()";
        };
    }

    /** The hardware approximations (MUFU): relative errors near 1e-6 or, for tanh, 5e-4, far under bf16's 1e-2. */
    private static String fastUnary(Expr.Fn fn, String x) {
        return switch (fn) {
            case EXP -> "einc_fexp(" + x + ")";
            case LOG -> "einc_flog(" + x + ")";
            case TANH -> "einc_ftanh(" + x + ")";
            case SIGMOID -> "einc_fsigmoid(" + x + ")";
            case SOFTPLUS -> "einc_fsoftplus(" + x + ")";
            default -> unary(fn, x);
        };
    }

    private static String unary(Expr.Fn fn, String x) {
        return switch (fn) {
            case NEG -> "(-" + x + ")";
            case NOT -> "(" + x + " != 0.f ? 0.f : 1.f)";
            case EXP -> "expf(" + x + ")";
            case LOG -> "logf(" + x + ")";
            case SQRT -> "sqrtf(" + x + ")";
            case RSQRT -> "(1.f / sqrtf(" + x + "))";
            case TANH -> "tanhf(" + x + ")";
            case SIGMOID -> "einc_sigmoid(" + x + ")";
            case SOFTPLUS -> "einc_softplus(" + x + ")";
            case RELU -> "fmaxf(0.f, " + x + ")";
            case ELU -> "einc_elu(" + x + ")";
            case ABS -> "fabsf(" + x + ")";
            case SIGN -> "einc_sign(" + x + ")";
        };
    }

    private String binary(Expr.Op op, Expr ea, Expr eb) {
        String a = value(ea), b = value(eb);
        return switch (op) {
            case ADD -> "(" + a + " + " + b + ")";
            case SUB -> "(" + a + " - " + b + ")";
            case MUL -> "(" + a + " * " + b + ")";
            case DIV -> "(" + a + " / " + b + ")";
            case LT -> "(" + a + " < " + b + " ? 1.f : 0.f)";
            case LE -> "(" + a + " <= " + b + " ? 1.f : 0.f)";
            case GT -> "(" + a + " > " + b + " ? 1.f : 0.f)";
            case GE -> "(" + a + " >= " + b + " ? 1.f : 0.f)";
            case EQ -> "(" + a + " == " + b + " ? 1.f : 0.f)";
            case NE -> "(" + a + " != " + b + " ? 1.f : 0.f)";
            case AND -> "[&]() -> float { if (" + a + " != 0.f && !miss && !absn) return " + b + " != 0.f ? 1.f : 0.f; return 0.f; }()";
            case OR -> "[&]() -> float { if (" + a + " != 0.f && !miss && !absn) return 1.f; return " + b + " != 0.f ? 1.f : 0.f; }()";
            case MIN -> "fminf(" + a + ", " + b + ")";
            case MAX -> "fmaxf(" + a + ", " + b + ")";
            case POW -> "powf(" + a + ", " + b + ")";
        };
    }

    /** Device helpers every generated file starts with: no headers, so NVRTC needs no include path. */
    static final String PRELUDE = """
            typedef unsigned short einc_bf16;
            typedef unsigned short einc_f16;
            __device__ __forceinline__ float einc_ld(const float* p, long long o) { return p[o]; }
            __device__ __forceinline__ float einc_ld(const double* p, long long o) { return (float)p[o]; }
            __device__ __forceinline__ float einc_bf16_to_f32(unsigned short h) { return __uint_as_float(((unsigned)h) << 16); }
            __device__ __forceinline__ float einc_f16_to_f32(unsigned short h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
            __device__ __forceinline__ unsigned short einc_f32_to_bf16(float f) { unsigned short r; asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(r) : "f"(f)); return r; }
            __device__ __forceinline__ unsigned short einc_f32_to_f16(float f) { unsigned short r; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r) : "f"(f)); return r; }
            __device__ __forceinline__ long long einc_floordiv(long long a, long long b) {
              if (b == 0) return 0; long long q = a / b; if ((a % b != 0) && ((a < 0) != (b < 0))) --q; return q; }
            __device__ __forceinline__ long long einc_floormod(long long a, long long b) {
              if (b == 0) return 0; long long r = a % b; if (r != 0 && ((r < 0) != (b < 0))) r += b; return r; }
            __device__ __forceinline__ float einc_sigmoid(float v) { return v >= 0.f ? 1.f / (1.f + expf(-v)) : expf(v) / (1.f + expf(v)); }
            __device__ __forceinline__ float einc_softplus(float v) { return v > 0.f ? v + log1pf(expf(-v)) : log1pf(expf(v)); }
            __device__ __forceinline__ float einc_elu(float v) { return v > 0.f ? v : expm1f(v); }
            __device__ __forceinline__ float einc_sign(float v) { return v > 0.f ? 1.f : (v < 0.f ? -1.f : v); }
            __device__ __forceinline__ float einc_ex2(float x) { float y; asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x)); return y; }
            __device__ __forceinline__ float einc_lg2(float x) { float y; asm("lg2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x)); return y; }
            __device__ __forceinline__ float einc_ftanh(float x) { float y; asm("tanh.approx.f32 %0, %1;" : "=f"(y) : "f"(x)); return y; }
            __device__ __forceinline__ float einc_fexp(float x) { return einc_ex2(x * 1.4426950408889634f); }
            __device__ __forceinline__ float einc_flog(float x) { return einc_lg2(x) * 0.6931471805599453f; }
            __device__ __forceinline__ float einc_fsigmoid(float x) { return fmaf(0.5f, einc_ftanh(0.5f * x), 0.5f); }
            __device__ __forceinline__ float einc_fsoftplus(float x) {
              return fmaxf(x, 0.f) + 0.6931471805599453f * einc_lg2(1.f + einc_ex2(-fabsf(x) * 1.4426950408889634f)); }
            """;
}
