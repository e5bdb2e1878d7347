package einc.codegen.llvm;

/**
 * The lane-wise math of the fused attention kernel on {@code <16 x float>}, written in IR so that
 * it inlines: {@code exp} (the polynomial of {@link FastMath#EXP}, lane by lane), {@code tanh}
 * (Cephes' odd polynomial below 0.625, {@code 1 - 2 / (exp(2|x|) + 1)} above), {@code log1p} on
 * [0, 1] as {@code 2 atanh(u / (2 + u))} (an odd series in {@code s = u / (2 + u)} <= 1/3, accurate
 * to f32 without libm), and from them {@code softplus} and {@code sigmoid}; for weights in base 2,
 * {@code exp2} and softplus in base 2 ({@code sp2}).
 */
final class VectorMath {

    private VectorMath() {}

    /** The declarations the functions below need. */
    static final String DECLARATIONS = """
            declare <16 x float> @llvm.rint.v16f32(<16 x float>)
            declare <16 x float> @llvm.minnum.v16f32(<16 x float>, <16 x float>)
            declare <16 x float> @llvm.maxnum.v16f32(<16 x float>, <16 x float>)
            declare <16 x float> @llvm.fabs.v16f32(<16 x float>)
            declare <16 x float> @llvm.fma.v16f32(<16 x float>, <16 x float>, <16 x float>)
            """;

    /**
     * {@code exp} for the softmax weights, whose arguments are at most 0 (or -inf): clamped at -120
     * (where the result is 0 exactly), Cody-Waite reduction, Cephes' polynomial in Horner form and
     * AVX-512's {@code vscalefps} for the 2^n (13 instructions instead of about 28).
     */
    static final String EXP_NEG_AVX512 = """
            define internal <16 x float> @einc.expneg.v16(<16 x float> %x) alwaysinline nounwind {
              %xc = call nnan <16 x float> @llvm.maxnum.v16f32(<16 x float> %x, <16 x float> splat (float -120.0))
              %t = fmul <16 x float> %xc, splat (float 0x3FF7154760000000)
              %n = call <16 x float> @llvm.rint.v16f32(<16 x float> %t)
              %r0 = call <16 x float> @llvm.fma.v16f32(<16 x float> %n, <16 x float> splat (float 0xBFE6300000000000), <16 x float> %xc)
              %r = call <16 x float> @llvm.fma.v16f32(<16 x float> %n, <16 x float> splat (float 0x3F2BD01060000000), <16 x float> %r0)
              %p1 = call <16 x float> @llvm.fma.v16f32(<16 x float> %r, <16 x float> splat (float 0x3F2A0D2CE0000000), <16 x float> splat (float 0x3F56E879C0000000))
              %p2 = call <16 x float> @llvm.fma.v16f32(<16 x float> %p1, <16 x float> %r, <16 x float> splat (float 0x3F81112100000000))
              %p3 = call <16 x float> @llvm.fma.v16f32(<16 x float> %p2, <16 x float> %r, <16 x float> splat (float 0x3FA5553820000000))
              %p4 = call <16 x float> @llvm.fma.v16f32(<16 x float> %p3, <16 x float> %r, <16 x float> splat (float 0x3FC5555540000000))
              %p5 = call <16 x float> @llvm.fma.v16f32(<16 x float> %p4, <16 x float> %r, <16 x float> splat (float 0x3FE0000000000000))
              %p6 = call <16 x float> @llvm.fma.v16f32(<16 x float> %p5, <16 x float> %r, <16 x float> splat (float 1.0))
              %y = call <16 x float> @llvm.fma.v16f32(<16 x float> %p6, <16 x float> %r, <16 x float> splat (float 1.0))
              %out = call <16 x float> @llvm.x86.avx512.mask.scalef.ps.512(<16 x float> %y, <16 x float> %n, <16 x float> zeroinitializer, i16 -1, i32 4)
              ret <16 x float> %out
            }
            """;

    /**
     * {@code 2^x} for arguments at most 0 (or -inf), for weights whose scores are already in base 2:
     * {@code x = n + r} with {@code |r| <= 1/2}, a degree-5 polynomial fitted for relative error on
     * that interval (2e-7) and {@code vscalefps} for the 2^n; 0 below -126, so that no result is
     * subnormal (a masked lane's weight, 2^-149 otherwise, made every FMA of the weighted sum on it
     * take a microcode assist: the causal kernel ran at half speed).
     */
    static final String EXP2_NEG_AVX512 = """
            define internal <16 x float> @einc.exp2neg.v16(<16 x float> %x) alwaysinline nounwind {
              %under = fcmp olt <16 x float> %x, splat (float -126.0)
              %xc = call nnan <16 x float> @llvm.maxnum.v16f32(<16 x float> %x, <16 x float> splat (float -127.0))
              %n = call <16 x float> @llvm.rint.v16f32(<16 x float> %xc)
              %r = fsub <16 x float> %xc, %n
              %e4 = call <16 x float> @llvm.fma.v16f32(<16 x float> %r, <16 x float> splat (float 0x3F55F88E40000000), <16 x float> splat (float 0x3F83D107C0000000))
              %e3 = call <16 x float> @llvm.fma.v16f32(<16 x float> %e4, <16 x float> %r, <16 x float> splat (float 0x3FAC6AE2C0000000))
              %e2 = call <16 x float> @llvm.fma.v16f32(<16 x float> %e3, <16 x float> %r, <16 x float> splat (float 0x3FCEBF9060000000))
              %e1 = call <16 x float> @llvm.fma.v16f32(<16 x float> %e2, <16 x float> %r, <16 x float> splat (float 0x3FE62E4320000000))
              %e0 = call <16 x float> @llvm.fma.v16f32(<16 x float> %e1, <16 x float> %r, <16 x float> splat (float 0x3FF0000020000000))
              %p = call <16 x float> @llvm.x86.avx512.mask.scalef.ps.512(<16 x float> %e0, <16 x float> %n, <16 x float> zeroinitializer, i16 -1, i32 4)
              %out = select <16 x i1> %under, <16 x float> zeroinitializer, <16 x float> %p
              ret <16 x float> %out
            }
            """;

    /** The same function without AVX-512: the general {@code exp} of {@code x ln 2}. */
    static final String EXP2_NEG_PORTABLE = """
            define internal <16 x float> @einc.exp2neg.v16(<16 x float> %x) alwaysinline nounwind {
              %y = fmul <16 x float> %x, splat (float 0x3FE62E4300000000)
              %out = call <16 x float> @einc.exp.v16(<16 x float> %y)
              ret <16 x float> %out
            }
            """;

    /**
     * Softplus in base 2, {@code sp2(y) = log2(1 + 2^y) = max(y, 0) + log2(1 + t)} with
     * {@code t = 2^-|y|} in [0, 1] and {@code log2(1 + t) = t q(t)}, {@code q} of degree 7 fitted
     * for relative error (3.4e-7, so small weights keep their digits): {@code softplus(x) = ln 2 *
     * sp2(x log2 e)}, for l1-normalized weights, where the factor ln 2 cancels (one exp2 and a
     * polynomial instead of exp, a division and log1p's series).
     */
    static final String SOFTPLUS2 = """
            define internal <16 x float> @einc.sp2.v16(<16 x float> %y) alwaysinline nounwind {
              %ay = call <16 x float> @llvm.fabs.v16f32(<16 x float> %y)
              %na = fneg <16 x float> %ay
              %t = call <16 x float> @einc.exp2neg.v16(<16 x float> %na)
              %l6 = call <16 x float> @llvm.fma.v16f32(<16 x float> %t, <16 x float> splat (float 0xBF89F349A0000000), <16 x float> splat (float 0x3FB0994E40000000))
              %l5 = call <16 x float> @llvm.fma.v16f32(<16 x float> %l6, <16 x float> %t, <16 x float> splat (float 0xBFC41A17E0000000))
              %l4 = call <16 x float> @llvm.fma.v16f32(<16 x float> %l5, <16 x float> %t, <16 x float> splat (float 0x3FD07568C0000000))
              %l3 = call <16 x float> @llvm.fma.v16f32(<16 x float> %l4, <16 x float> %t, <16 x float> splat (float 0xBFD6A4A8E0000000))
              %l2 = call <16 x float> @llvm.fma.v16f32(<16 x float> %l3, <16 x float> %t, <16 x float> splat (float 0x3FDEBA78C0000000))
              %l1 = call <16 x float> @llvm.fma.v16f32(<16 x float> %l2, <16 x float> %t, <16 x float> splat (float 0xBFE71501C0000000))
              %l0 = call <16 x float> @llvm.fma.v16f32(<16 x float> %l1, <16 x float> %t, <16 x float> splat (float 0x3FF7154720000000))
              %pos = call <16 x float> @llvm.maxnum.v16f32(<16 x float> %y, <16 x float> zeroinitializer)
              %out = call <16 x float> @llvm.fma.v16f32(<16 x float> %t, <16 x float> %l0, <16 x float> %pos)
              ret <16 x float> %out
            }
            """;

    /** The same function without AVX-512: the general {@code exp}. */
    static final String EXP_NEG_PORTABLE = """
            define internal <16 x float> @einc.expneg.v16(<16 x float> %x) alwaysinline nounwind {
              %out = call <16 x float> @einc.exp.v16(<16 x float> %x)
              ret <16 x float> %out
            }
            """;

    /** sigmoid and the parts of {@link #FUNCTIONS} that differ by target (a division, tanh above 0.625), through the general exp and divisions (any target). */
    static final String FUNCTIONS_PORTABLE = """
            define internal <16 x float> @einc.div.v16(<16 x float> %n, <16 x float> %d) alwaysinline nounwind {
              %out = fdiv <16 x float> %n, %d
              ret <16 x float> %out
            }

            define internal <16 x float> @einc.tanh.big.v16(<16 x float> %ax) alwaysinline nounwind {
              %two = fadd <16 x float> %ax, %ax
              %e = call <16 x float> @einc.exp.v16(<16 x float> %two)
              %e1 = fadd <16 x float> %e, splat (float 1.0)
              %q = fdiv <16 x float> splat (float 2.0), %e1
              %out = fsub <16 x float> splat (float 1.0), %q
              ret <16 x float> %out
            }

            define internal <16 x float> @einc.sigmoid.v16(<16 x float> %x) alwaysinline nounwind {
              %nx = fneg <16 x float> %x
              %e = call <16 x float> @einc.exp.v16(<16 x float> %nx)
              %d = fadd <16 x float> %e, splat (float 1.0)
              %out = fdiv <16 x float> splat (float 1.0), %d
              ret <16 x float> %out
            }
            """;

    /**
     * tanh, log1p on [0, 1] and softplus, on either target: through the target's
     * {@code einc.tanh.big.v16} (tanh of |x| >= 0.625), {@code einc.div.v16} (a division, or
     * {@code vrcp14ps} and one Newton step) and {@code einc.expneg.v16}.
     */
    static final String FUNCTIONS = """
            define internal <16 x float> @einc.tanh.v16(<16 x float> %x) alwaysinline nounwind {
              %ax = call <16 x float> @llvm.fabs.v16f32(<16 x float> %x)
              %z = fmul <16 x float> %x, %x
              %c1 = call <16 x float> @llvm.fma.v16f32(<16 x float> %z, <16 x float> splat (float 0xBF775E1D40000000), <16 x float> splat (float 0x3F952269C0000000))
              %c2 = call <16 x float> @llvm.fma.v16f32(<16 x float> %c1, <16 x float> %z, <16 x float> splat (float 0xBFAB83C5A0000000))
              %c3 = call <16 x float> @llvm.fma.v16f32(<16 x float> %c2, <16 x float> %z, <16 x float> splat (float 0x3FC1107260000000))
              %c4 = call <16 x float> @llvm.fma.v16f32(<16 x float> %c3, <16 x float> %z, <16 x float> splat (float 0xBFD5555320000000))
              %zx = fmul <16 x float> %z, %x
              %small = call <16 x float> @llvm.fma.v16f32(<16 x float> %c4, <16 x float> %zx, <16 x float> %x)
              %big = call <16 x float> @einc.tanh.big.v16(<16 x float> %ax)
              %neg = fcmp olt <16 x float> %x, zeroinitializer
              %nbig = fneg <16 x float> %big
              %sbig = select <16 x i1> %neg, <16 x float> %nbig, <16 x float> %big
              %isSmall = fcmp olt <16 x float> %ax, splat (float 0x3FE4000000000000)
              %out = select <16 x i1> %isSmall, <16 x float> %small, <16 x float> %sbig
              ret <16 x float> %out
            }

            define internal <16 x float> @einc.log1p01.v16(<16 x float> %u) alwaysinline nounwind {
              %d = fadd <16 x float> %u, splat (float 2.0)
              %s = call <16 x float> @einc.div.v16(<16 x float> %u, <16 x float> %d)
              %z = fmul <16 x float> %s, %s
              %c1 = call <16 x float> @llvm.fma.v16f32(<16 x float> %z, <16 x float> splat (float 0x3FB1111120000000), <16 x float> splat (float 0x3FB3B13B20000000))
              %c2 = call <16 x float> @llvm.fma.v16f32(<16 x float> %c1, <16 x float> %z, <16 x float> splat (float 0x3FB745D180000000))
              %c3 = call <16 x float> @llvm.fma.v16f32(<16 x float> %c2, <16 x float> %z, <16 x float> splat (float 0x3FBC71C720000000))
              %c4 = call <16 x float> @llvm.fma.v16f32(<16 x float> %c3, <16 x float> %z, <16 x float> splat (float 0x3FC24924A0000000))
              %c5 = call <16 x float> @llvm.fma.v16f32(<16 x float> %c4, <16 x float> %z, <16 x float> splat (float 0x3FC99999A0000000))
              %c6 = call <16 x float> @llvm.fma.v16f32(<16 x float> %c5, <16 x float> %z, <16 x float> splat (float 0x3FD5555560000000))
              %zs = fmul <16 x float> %z, %s
              %t = call <16 x float> @llvm.fma.v16f32(<16 x float> %c6, <16 x float> %zs, <16 x float> %s)
              %out = fadd <16 x float> %t, %t
              ret <16 x float> %out
            }

            define internal <16 x float> @einc.softplus.v16(<16 x float> %x) alwaysinline nounwind {
              %ax = call <16 x float> @llvm.fabs.v16f32(<16 x float> %x)
              %nx = fneg <16 x float> %ax
              %u = call <16 x float> @einc.expneg.v16(<16 x float> %nx)
              %l = call <16 x float> @einc.log1p01.v16(<16 x float> %u)
              %pos = call <16 x float> @llvm.maxnum.v16f32(<16 x float> %x, <16 x float> zeroinitializer)
              %out = fadd <16 x float> %pos, %l
              ret <16 x float> %out
            }
            """;

    /**
     * sigmoid and the target's parts of {@link #FUNCTIONS} on AVX-512: every exp argument made at
     * most 0 ({@code tanh} from {@code exp(-2|x|)}, {@code sigmoid} from {@code exp(-|x|)}) so that
     * the lean {@code einc.expneg.v16} serves, and divisions as {@code vrcp14ps} plus one Newton step.
     */
    static final String FUNCTIONS_AVX512 = """
            define internal <16 x float> @einc.rcp.v16(<16 x float> %d) alwaysinline nounwind {
              %r = call <16 x float> @llvm.x86.avx512.rcp14.ps.512(<16 x float> %d, <16 x float> zeroinitializer, i16 -1)
              %nd = fneg <16 x float> %d
              %e = call <16 x float> @llvm.fma.v16f32(<16 x float> %nd, <16 x float> %r, <16 x float> splat (float 1.0))
              %out = call <16 x float> @llvm.fma.v16f32(<16 x float> %r, <16 x float> %e, <16 x float> %r)
              ret <16 x float> %out
            }

            define internal <16 x float> @einc.div.v16(<16 x float> %n, <16 x float> %d) alwaysinline nounwind {
              %inv = call <16 x float> @einc.rcp.v16(<16 x float> %d)
              %out = fmul <16 x float> %n, %inv
              ret <16 x float> %out
            }

            define internal <16 x float> @einc.tanh.big.v16(<16 x float> %ax) alwaysinline nounwind {
              %m2 = fmul <16 x float> %ax, splat (float -2.0)
              %e = call <16 x float> @einc.expneg.v16(<16 x float> %m2)
              %num = fsub <16 x float> splat (float 1.0), %e
              %den = fadd <16 x float> splat (float 1.0), %e
              %inv = call <16 x float> @einc.rcp.v16(<16 x float> %den)
              %out = fmul <16 x float> %num, %inv
              ret <16 x float> %out
            }

            define internal <16 x float> @einc.sigmoid.v16(<16 x float> %x) alwaysinline nounwind {
              %ax = call <16 x float> @llvm.fabs.v16f32(<16 x float> %x)
              %nx = fneg <16 x float> %ax
              %e = call <16 x float> @einc.expneg.v16(<16 x float> %nx)
              %d = fadd <16 x float> %e, splat (float 1.0)
              %s = call <16 x float> @einc.rcp.v16(<16 x float> %d)
              %es = fmul <16 x float> %e, %s
              %pos = fcmp oge <16 x float> %x, zeroinitializer
              %out = select <16 x i1> %pos, <16 x float> %s, <16 x float> %es
              ret <16 x float> %out
            }
            """;

    static final String EXP = """
            define internal <16 x float> @einc.exp.v16(<16 x float> %x) alwaysinline nounwind {
              %lo = fcmp olt <16 x float> %x, splat (float 0xC055D589E0000000)
              %hi = fcmp ogt <16 x float> %x, splat (float 0x40562E42E0000000)
              %nan = fcmp uno <16 x float> %x, zeroinitializer
              %x1 = select <16 x i1> %lo, <16 x float> splat (float 0xC055D589E0000000), <16 x float> %x
              %xc = select <16 x i1> %hi, <16 x float> splat (float 0x40562E42E0000000), <16 x float> %x1
              %t = fmul <16 x float> %xc, splat (float 0x3FF7154760000000)
              %n0 = call <16 x float> @llvm.rint.v16f32(<16 x float> %t)
              %n = call <16 x float> @llvm.minnum.v16f32(<16 x float> %n0, <16 x float> splat (float 127.0))
              %a = fmul <16 x float> %n, splat (float 0x3FE6300000000000)
              %r0 = fsub <16 x float> %xc, %a
              %b = fmul <16 x float> %n, splat (float 0xBF2BD01060000000)
              %r = fsub <16 x float> %r0, %b
              %p1 = call <16 x float> @llvm.fma.v16f32(<16 x float> %r, <16 x float> splat (float 0x3F2A0D2CE0000000), <16 x float> splat (float 0x3F56E879C0000000))
              %p3 = call <16 x float> @llvm.fma.v16f32(<16 x float> %p1, <16 x float> %r, <16 x float> splat (float 0x3F81112100000000))
              %p5 = call <16 x float> @llvm.fma.v16f32(<16 x float> %p3, <16 x float> %r, <16 x float> splat (float 0x3FA5553820000000))
              %p7 = call <16 x float> @llvm.fma.v16f32(<16 x float> %p5, <16 x float> %r, <16 x float> splat (float 0x3FC5555540000000))
              %p9 = call <16 x float> @llvm.fma.v16f32(<16 x float> %p7, <16 x float> %r, <16 x float> splat (float 0x3FE0000000000000))
              %rr = fmul <16 x float> %r, %r
              %q1 = call <16 x float> @llvm.fma.v16f32(<16 x float> %p9, <16 x float> %rr, <16 x float> %r)
              %y = fadd <16 x float> %q1, splat (float 1.0)
              %ni = fptosi <16 x float> %n to <16 x i32>
              %e = add <16 x i32> %ni, splat (i32 127)
              %bits = shl <16 x i32> %e, splat (i32 23)
              %scale = bitcast <16 x i32> %bits to <16 x float>
              %res = fmul <16 x float> %y, %scale
              %z = select <16 x i1> %lo, <16 x float> zeroinitializer, <16 x float> %res
              %inf = select <16 x i1> %hi, <16 x float> splat (float 0x7FF0000000000000), <16 x float> %z
              %out = select <16 x i1> %nan, <16 x float> %x, <16 x float> %inf
              ret <16 x float> %out
            }

            """;
}
