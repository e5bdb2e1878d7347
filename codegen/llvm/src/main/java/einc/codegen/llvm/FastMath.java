package einc.codegen.llvm;

/**
 * Math functions written in IR so that they inline and vectorize instead of calling libm: {@code exp}
 * as Cody-Waite range reduction (x = n ln2 + r), Cephes' degree-5 polynomial for e^r on
 * [-ln2/2, ln2/2] (relative error about 1e-7, accurate to f32) and 2^n from the exponent bits.
 * Below -87.3 it gives 0 (no denormals), above 88.72 infinity, and NaN stays NaN.
 */
final class FastMath {

    private FastMath() {}

    static final String EXP = """
            define internal float @einc.exp(float %x) alwaysinline nounwind {
              %lo = fcmp olt float %x, 0xC055D589E0000000
              %hi = fcmp ogt float %x, 0x40562E42E0000000
              %nan = fcmp uno float %x, 0.0
              %x1 = select i1 %lo, float 0xC055D589E0000000, float %x
              %xc = select i1 %hi, float 0x40562E42E0000000, float %x1
              %t = fmul float %xc, 0x3FF7154760000000
              %n0 = call float @llvm.rint.f32(float %t)
              %n = call float @llvm.minnum.f32(float %n0, float 127.0)
              %a = fmul float %n, 0x3FE6300000000000
              %r0 = fsub float %xc, %a
              %b = fmul float %n, 0xBF2BD01060000000
              %r = fsub float %r0, %b
              %p0 = fmul float %r, 0x3F2A0D2CE0000000
              %p1 = fadd float %p0, 0x3F56E879C0000000
              %p2 = fmul float %p1, %r
              %p3 = fadd float %p2, 0x3F81112100000000
              %p4 = fmul float %p3, %r
              %p5 = fadd float %p4, 0x3FA5553820000000
              %p6 = fmul float %p5, %r
              %p7 = fadd float %p6, 0x3FC5555540000000
              %p8 = fmul float %p7, %r
              %p9 = fadd float %p8, 0x3FE0000000000000
              %rr = fmul float %r, %r
              %q0 = fmul float %p9, %rr
              %q1 = fadd float %q0, %r
              %y = fadd float %q1, 1.0
              %ni = fptosi float %n to i32
              %e = add i32 %ni, 127
              %bits = shl i32 %e, 23
              %scale = bitcast i32 %bits to float
              %res = fmul float %y, %scale
              %z = select i1 %lo, float 0.0, float %res
              %inf = select i1 %hi, float 0x7FF0000000000000, float %z
              %out = select i1 %nan, float %x, float %inf
              ret float %out
            }
            """;
}
