package einc.codegen.cuda;

import einc.codegen.cuda.AttentionPattern.Normalization;
import einc.ir.Cascade;
import einc.ir.Expr;
import einc.ir.IndexExpr;
import einc.ir.TensorDecl;
import einc.runtime.cuda.CudaPlan;
import einc.runtime.cuda.CudaPlan.Grid;
import einc.runtime.cuda.CudaPlan.Launch;
import einc.runtime.cuda.CudaPlan.Step;
import java.util.ArrayList;
import java.util.List;

/**
 * The fused flash-attention kernels of an {@link AttentionPattern}: one thread block per (batch ranks,
 * query tile), K/V tiles staged through shared memory by cp.async double buffering, the online-softmax
 * state in registers, key tiles outside the mask's bounds skipped and whole tiles left unmasked
 * ({@link MaskBounds}), ragged edges zero-filled. Three paths: bf16/f16 on tensor cores
 * ({@code mma.sync.m16n8k16}, f32 accumulation, 4 warps of 32 query rows, K/V by ldmatrix, P kept in
 * registers); f32 on tensor cores as split-precision tf32 (three {@code mma.m16n8k8} a product, 8 warps
 * of 16 rows sharing K/V tiles split into hi and lo parts once a block); f32 SIMT (256 threads, 4x4 register tiles) when {@link Tuning} asks for it or the
 * inputs mix types. Head dimensions up to 128, specialized for 64 and 128.
 */
final class FlashKernels {

    /** Keys per tile of the SIMT kernel. */
    static final int BN = 64;

    /**
     * The tile shapes of the generated kernels: {@code mmaTiles64} (head dimension 64) and
     * {@code mmaTiles128} (128) tiles of 16 query rows per warp on the tensor-core path (4 warps, so
     * 64 * mmaTiles rows per block; the grid is sized for the smaller block, and the larger kernel's
     * spare blocks return at once) and key tiles of {@code mmaKeyTile} (D=64) and
     * {@code mmaKeyTile128} (D=128), Q fragments kept in registers for head dimensions up to
     * {@code qInRegistersUpTo} (re-read from shared memory otherwise); f32 inputs on tensor cores as
     * split-precision tf32 ({@code f32TensorCores}, key tiles of {@code f32KeyTile} at D=64 and 32 at
     * D=128) or on SIMT; {@code mmaSplit64}/{@code mmaSplit128} (1 or 2) sub-tiles of a key tile on the
     * tensor-core path, the scores of the second issued before the weights of the first (see {@link #L1}); {@code wgmma}: Q K^T
     * and P.V as Hopper warpgroup mmas where the source is compiled for sm_90a ({@link #wgmmaHelpers}).
     */
    record Tuning(int mmaTiles64, int mmaTiles128, int qInRegistersUpTo, int mmaKeyTile, boolean f32TensorCores, int f32KeyTile, int mmaKeyTile128,
            int mmaSplit64, int mmaSplit128, boolean wgmma) {
        Tuning {
            for (int[] ks : new int[][] {{mmaKeyTile, mmaSplit64}, {mmaKeyTile128, mmaSplit128}})
                if ((ks[1] != 1 && ks[1] != 2) || ks[0] % (16 * ks[1]) != 0)
                    throw new IllegalArgumentException("a key tile of " + ks[0] + " cannot be split in " + ks[1] + " sub-tiles of a multiple of 16 keys");
        }

        /** One key tile for both head dimensions, no sub-tiles, no wgmma. */
        Tuning(int mmaTiles64, int mmaTiles128, int qInRegistersUpTo, int mmaKeyTile, boolean f32TensorCores, int f32KeyTile) {
            this(mmaTiles64, mmaTiles128, qInRegistersUpTo, mmaKeyTile, f32TensorCores, f32KeyTile, mmaKeyTile, 1, 1, false);
        }

        static final Tuning DEFAULT = new Tuning(2, 2, 64, 64, true, 32, 64, 1, 1, true);
        /**
         * l1 weights: at D=128 each key tile as two sub-tiles of 32 keys (0.6% and 1.4% faster than one in
         * two H100 calls, 2026-12-07; at D=64 one sub-tile was faster, bench/gpu/NOTES.md).
         */
        static final Tuning L1 = new Tuning(2, 2, 64, 64, true, 32, 64, 1, 2, true);
        /** For rows of bounded length (a sliding window): at D=64 more, smaller blocks (a 128-row block spans 640 keys for 512 a row). */
        static final Tuning SHORT_ROWS = new Tuning(1, 2, 64, 64, true, 32, 64, 1, 1, true);
    }

    /**
     * {@link Tuning#SHORT_ROWS} when a lower key bound rises with the query (a window), else {@link Tuning#L1}
     * for l1 weights and {@link Tuning#DEFAULT} for the others (softmax weights at D=64 took key tiles of 32
     * on the H200, 1-6% faster there; on the H100 they were 6-16% slower than 64, 2026-12-07, and were dropped).
     */
    static Tuning tuningFor(AttentionPattern pat) {
        for (MaskBounds.Bound b : new MaskBounds(pat.maskAtoms()).bounds)
            if (!b.upper() && MaskBounds.dir(b.value()) == MaskBounds.Dir.INC) return Tuning.SHORT_ROWS;
        return pat.normalization() == AttentionPattern.Normalization.SUM ? Tuning.L1 : Tuning.DEFAULT;
    }

    private final Cascade c;
    private final AttentionPattern pat;
    private final Layout layout;
    private final String prefix;
    private final TensorDecl qd, kd, vd, od;
    private final List<String> batch;
    private final String pName, mName, eName, fName;
    private final boolean mma;
    private final boolean f16;
    private final Tuning tuning;
    /** f32 Q, K and V on tensor cores (three tf32 mmas a product). */
    private final boolean tf32;

    private FlashKernels(Cascade c, AttentionPattern pat, String prefix, Tuning tuning) {
        this.c = c;
        this.tuning = tuning;
        this.pat = pat;
        this.prefix = prefix;
        this.layout = new Layout(c, false);
        this.qd = c.tensorOrThrow(pat.q().tensor());
        this.kd = c.tensorOrThrow(pat.k().tensor());
        this.vd = c.tensorOrThrow(pat.v().tensor());
        this.od = c.tensorOrThrow(pat.out().tensor());
        this.batch = od.indexNames().subList(0, od.arity() - 2);
        this.pName = qd.ranks().get(qd.arity() - 2).index();
        this.mName = kd.ranks().get(kd.arity() - 2).index();
        this.eName = kd.ranks().getLast().index();
        this.fName = vd.ranks().getLast().index();
        boolean allBf16 = qd.type() == einc.ir.DType.BF16 && kd.type() == einc.ir.DType.BF16 && vd.type() == einc.ir.DType.BF16;
        boolean allF16 = qd.type() == einc.ir.DType.F16 && kd.type() == einc.ir.DType.F16 && vd.type() == einc.ir.DType.F16;
        this.mma = allBf16 || allF16;
        this.f16 = allF16;
        this.tf32 = tuning.f32TensorCores() && qd.type() == einc.ir.DType.F32 && kd.type() == einc.ir.DType.F32 && vd.type() == einc.ir.DType.F32;
    }

    static CudaProgram generate(Cascade c, AttentionPattern pat, String prefix, String why) {
        return generate(c, pat, prefix, why, tuningFor(pat));
    }

    static CudaProgram generate(Cascade c, AttentionPattern pat, String prefix, String why, Tuning tuning) {
        FlashKernels g = new FlashKernels(c, pat, prefix, tuning);
        StringBuilder src = new StringBuilder();
        List<Step> steps = g.emit(src);
        CudaPlan plan = new CudaPlan(c.name(), g.layout.extentRules, g.layout.buffers, g.layout.params, steps);
        return new CudaProgram(src.toString(), plan, true, why);
    }

    private String name(String canonical) {
        return switch (canonical) {
            case AttentionPattern.P -> "pq";
            case AttentionPattern.M -> "km";
            default -> CExpr.index(canonical);
        };
    }

    /** Reads of batch-only inputs inside the score (ALiBi's slope[h]). */
    private String access(String tensor, List<String> positions) {
        if (tensor.equals(AttentionPattern.QK)) return "qk";
        TensorDecl t = c.tensorOrThrow(tensor);
        CudaPlan.Type type = layout.buffer(tensor).type();
        StringBuilder off = new StringBuilder("0LL");
        for (int k = 0; k < positions.size(); k++) off = new StringBuilder("(" + off + " * " + Layout.dimExpr(t, k) + " + " + positions.get(k) + ")");
        String ptr = "((const " + Layout.ctype(type) + "*)a.s[" + layout.bufferSlot.get(tensor) + "])";
        return Layout.load(type, ptr, off.toString());
    }

    /** The element offset of {@code [batch positions..., 0, 0]} of an access. */
    private String base(Expr.Access a, TensorDecl t, CExpr ex) {
        int n = t.arity();
        if (n == 2) return "0LL";
        String off = ex.index(a.indices().getFirst());
        for (int k = 1; k < n - 2; k++) off = "(" + off + " * " + Layout.dimExpr(t, k) + " + " + ex.index(a.indices().get(k)) + ")";
        return "(" + off + " * " + Layout.dimExpr(t, n - 2) + " * " + Layout.dimExpr(t, n - 1) + ")";
    }

    private List<Step> emit(StringBuilder src) {
        CExpr ex = new CExpr(this::access, layout.paramIndex, this::name);
        CExpr fx = new CExpr(this::access, layout.paramIndex, this::name, mma);
        src.append("// generated by einc from cascade ").append(c.name()).append(": fused attention (")
                .append(pat.normalization().name().toLowerCase(java.util.Locale.ROOT)).append(", ").append(mma ? (f16 ? "f16" : "bf16") + " mma.sync" : tf32 ? "f32 as 3xtf32 mma.sync" : "f32 SIMT").append(")\n");
        src.append(CExpr.PRELUDE);
        src.append(layout.header());
        String batchParams = String.join("", batch.stream().map(b -> ", long long " + CExpr.index(b)).toList());
        String batchArgs = String.join("", batch.stream().map(b -> ", " + CExpr.index(b)).toList());
        String locals = layout.extentLocals().replace("  float* prm = (float*)a.s[" + layout.paramSlot + "];\n", "");
        String unused = "  (void)miss; (void)absn;\n";
        // score, mask and key bounds as device functions of (batch, query, key)
        src.append("\n__device__ __forceinline__ float einc_score(const EincArgs& a, const float* prm").append(batchParams)
                .append(", int pq, int km, float qk) {\n").append(locals).append("  bool miss = false, absn = false;\n").append(unused)
                .append("  return ").append(fx.value(pat.score())).append(";\n}\n");
        MaskBounds mb = new MaskBounds(pat.maskAtoms());
        src.append("__device__ __forceinline__ bool einc_mask(const EincArgs& a, const float* prm").append(batchParams)
                .append(", int pq, int km) {\n").append(locals).append("  bool miss = false, absn = false;\n").append(unused)
                .append("  return ").append(pat.mask() == null ? "true" : ex.value(pat.mask()) + " != 0.f").append(";\n}\n");
        StringBuilder lo = new StringBuilder("0LL"), hi = new StringBuilder(CExpr.extent(mName));
        for (MaskBounds.Bound b : mb.bounds) {
            String v = "(double)" + ex.value(b.value());
            String r = b.rounding() == MaskBounds.Rounding.CEIL ? "einc_ceil(" + v + ")" : "(einc_floor(" + v + ") + 1)";
            if (b.upper()) hi = new StringBuilder("einc_min(" + hi + ", " + r + ")");
            else lo = new StringBuilder("einc_max(" + lo + ", " + r + ")");
        }
        src.append("__device__ __forceinline__ long long einc_min(long long x, long long y) { return x < y ? x : y; }\n");
        src.append("__device__ __forceinline__ long long einc_max(long long x, long long y) { return x > y ? x : y; }\n");
        src.append("__device__ __forceinline__ long long einc_ceil(double v) { return (long long)ceil(fmin(fmax(v, -4e18), 4e18)); }\n");
        src.append("__device__ __forceinline__ long long einc_floor(double v) { return (long long)floor(fmin(fmax(v, -4e18), 4e18)); }\n");
        src.append("__device__ __forceinline__ long long einc_key_lo(const EincArgs& a, const float* prm").append(batchParams)
                .append(", long long pq) {\n").append(locals).append("  bool miss = false, absn = false;\n").append(unused)
                .append("  return einc_max(0LL, ").append(lo).append(");\n}\n");
        src.append("__device__ __forceinline__ long long einc_key_hi(const EincArgs& a, const float* prm").append(batchParams)
                .append(", long long pq) {\n").append(locals).append("  bool miss = false, absn = false;\n").append(unused)
                .append("  return einc_min(").append(CExpr.extent(mName)).append(", ").append(hi).append(");\n}\n");
        // whole tiles skip the element-wise mask only when every atom is a bound
        boolean exact = mb.others.isEmpty();
        // a score linear in the dot product, slope * qk, is scaled to base 2 by one multiply; so is the
        // argument of a softplus(slope * qk) under l1 normalization (tensor-core bf16/f16 only), its
        // weights taken in base 2, log2(1 + 2^(qk * c)): their common factor ln 2 cancels in the sum
        Expr slope = switch (pat.normalization()) {
            case SOFTMAX -> slope(pat.score());
            case SUM -> mma && pat.score() instanceof Expr.Unary(Expr.Fn fn, Expr arg) && fn == Expr.Fn.SOFTPLUS ? slope(arg) : null;
            case NONE -> null;
        };
        boolean softmax = pat.normalization() == Normalization.SOFTMAX;
        if (slope != null)
            src.append("__device__ __forceinline__ float einc_slope(const EincArgs& a, const float* prm").append(batchParams)
                    .append(") {\n").append(locals).append("  bool miss = false, absn = false;\n").append(unused)
                    .append("  return ").append(fx.value(slope)).append(";\n}\n");
        int bm = blockRows();

        StringBuilder setup = new StringBuilder();
        setup.append(layout.extentLocals().replace("float* prm =", "const float* prmg ="));
        setup.append("  float prm[").append(Math.max(1, 2 * c.params().size())).append("];\n");
        setup.append("  #pragma unroll\n  for (int i = 0; i < ").append(2 * c.params().size()).append("; ++i) prm[i] = prmg[i];\n");
        setup.append("  long long rem = blockIdx.y; (void)rem;\n");
        for (int k = batch.size() - 1; k >= 0; k--)
            setup.append("  const long long ").append(CExpr.index(batch.get(k))).append(" = rem % ").append(CExpr.extent(batch.get(k)))
                    .append("; rem /= ").append(CExpr.extent(batch.get(k))).append(";\n");
        setup.append("  const long long P_ = ").append(CExpr.extent(pName)).append(", M_ = ").append(CExpr.extent(mName))
                .append(", E_ = ").append(CExpr.extent(eName)).append(", F_ = ").append(CExpr.extent(fName)).append(";\n");
        CudaPlan.Type qt = layout.buffer(qd.name()).type(), kt = layout.buffer(kd.name()).type(), vt = layout.buffer(vd.name()).type(),
                ot = layout.buffer(od.name()).type();
        setup.append("  const ").append(Layout.ctype(qt)).append("* Qg = (const ").append(Layout.ctype(qt)).append("*)a.s[")
                .append(layout.bufferSlot.get(qd.name())).append("] + ").append(base(pat.q(), qd, ex)).append(";\n");
        setup.append("  const ").append(Layout.ctype(kt)).append("* Kg = (const ").append(Layout.ctype(kt)).append("*)a.s[")
                .append(layout.bufferSlot.get(kd.name())).append("] + ").append(base(pat.k(), kd, ex)).append(";\n");
        setup.append("  const ").append(Layout.ctype(vt)).append("* Vg = (const ").append(Layout.ctype(vt)).append("*)a.s[")
                .append(layout.bufferSlot.get(vd.name())).append("] + ").append(base(pat.v(), vd, ex)).append(";\n");
        setup.append("  ").append(Layout.ctype(ot)).append("* Og = (").append(Layout.ctype(ot)).append("*)a.s[")
                .append(layout.bufferSlot.get(od.name())).append("] + ").append(base(pat.out(), od, ex)).append(";\n");
        // the block's rows and key range, after the body's tile constants BM and BN
        String rows = "  const long long p0 = (long long)(gridDim.x - 1 - blockIdx.x) * BM;  // heaviest tiles first under a causal mask\n"
                + "  if (p0 >= P_) return;  // a spare block of a grid sized for smaller blocks\n"
                + "  const long long plast = (p0 + BM < P_ ? p0 + BM : P_) - 1;\n"
                + "  const long long klo = einc_key_lo(a, prm" + batchArgs + ", p0);\n"
                + "  const long long khi = einc_key_hi(a, prm" + batchArgs + ", plast);\n"
                + "  const long long t0 = klo / BN, t1 = khi > klo ? (khi + BN - 1) / BN : t0;  // the key tiles the mask leaves";

        String body = (mma ? MMA_BODY : tf32 ? TF32_BODY : SIMT_BODY)
                .replace("%SETUP%", setup)
                .replace("%ROWS%", rows)
                .replace("%BATCH%", batchArgs)
                .replace("%NORM%", Integer.toString(pat.normalization().ordinal()))
                .replace("%EMPTYNAN%", pat.emptyIsNaN() ? "1" : "0")
                .replace("%EXACT%", exact ? "1" : "0")
                .replace("%MT64%", Integer.toString(tuning.mmaTiles64()))
                .replace("%MT128%", Integer.toString(tuning.mmaTiles128()))
                .replace("%QREG%", Integer.toString(tuning.qInRegistersUpTo()))
                .replace("%F32BN%", Integer.toString(tuning.f32KeyTile()))
                .replace("%BN%", Integer.toString(tuning.mmaKeyTile()))
                .replace("%BN128%", Integer.toString(tuning.mmaKeyTile128()))
                .replace("%KS64%", Integer.toString(tuning.mmaSplit64()))
                .replace("%KS128%", Integer.toString(tuning.mmaSplit128()))
                .replace("%SLOPE%", slope == null ? "" : "  const float sl2 = einc_slope(a, prm" + batchArgs + ") * LOG2E;\n")
                .replace("%WEIGHT%", slope != null ? (softmax ? "s[mt][j][e] * sl2" : "einc_sp2(s[mt][j][e] * sl2)")
                        : "einc_score(a, prm" + batchArgs + ", row, key, s[mt][j][e])" + (softmax ? " * LOG2E" : ""))
                .replace("%LDQ_RD%", Layout.load(qt, "Qg", "gr * E_ + d"))
                .replace("%LDK_RD%", Layout.load(kt, "Kg", "gk * E_ + d"))
                .replace("%LDV_RD%", Layout.load(vt, "Vg", "gk * F_ + d"))
                .replace("%MMA_TYPE%", f16 ? "f16" : "bf16")
                .replace("%STORE0%", Layout.store(ot, "o0"))
                .replace("%STORE1%", Layout.store(ot, "o1"))
                .replace("%STORE%", Layout.store(ot, "ov"));
        src.append(mma || tf32 ? MMA_HELPERS.replace("%MMA_TYPE%", f16 ? "f16" : "bf16") : "");
        if (mma) src.append(wgmmaHelpers(tuning.wgmma(), f16 ? "f16" : "bf16"));
        src.append(body);
        String kname = prefix + "_flash_d{D}";
        for (int d : new int[] {64, 128})
            src.append("extern \"C\" __global__ void __launch_bounds__(").append(threads()).append(") ")
                    .append(kname.replace("{D}", Integer.toString(d))).append("(const EincArgs a, long long step) { (void)step; einc_flash<")
                    .append(d).append(">(a); }\n");
        List<Step> steps = new ArrayList<>();
        steps.add(StatementKernels.paramsKernel(c, layout, prefix, src));
        List<String> yExt = new ArrayList<>(batch);
        steps.add(new Launch(kname, new Grid(List.of(pName), bm), new Grid(yExt, 1), Grid.ONE, threads(),
                sharedBytes(64), List.of(eName, fName), sharedBytes(128)));
        return steps;
    }

    private int threads() {
        return mma ? 128 : 256;
    }

    /** Query rows per thread block. */
    private int blockRows() {
        return mma ? 64 * Math.min(tuning.mmaTiles64(), tuning.mmaTiles128()) : tf32 ? 128 : 64;
    }

    /** {@code a} when {@code score} is {@code a * qk} or {@code qk * a} with {@code a} free of query and key; 1 for {@code qk}; else null. */
    static Expr slope(Expr score) {
        if (score instanceof Expr.Access x && x.tensor().equals(AttentionPattern.QK)) return new Expr.Const(1);
        if (score instanceof Expr.Binary(Expr.Op op, Expr l, Expr r) && op == Expr.Op.MUL) {
            if (r instanceof Expr.Access x && x.tensor().equals(AttentionPattern.QK) && constantPerRow(l)) return l;
            if (l instanceof Expr.Access x && x.tensor().equals(AttentionPattern.QK) && constantPerRow(r)) return r;
        }
        return null;
    }

    private static boolean constantPerRow(Expr e) {
        java.util.Set<String> ix = einc.ir.Exprs.indices(e);
        boolean[] qk = {false};
        einc.ir.Exprs.forEach(e, n -> {
            if (n instanceof Expr.Access x && x.tensor().equals(AttentionPattern.QK)) qk[0] = true;
        });
        return !qk[0] && !ix.contains(AttentionPattern.P) && !ix.contains(AttentionPattern.M);
    }

    int sharedBytes(int d) {
        int bn = d <= 64 ? tuning.mmaKeyTile() : tuning.mmaKeyTile128();
        int bm = 64 * (d <= 64 ? tuning.mmaTiles64() : tuning.mmaTiles128());
        int rows = bm == bn && d <= tuning.qInRegistersUpTo() ? 4 * bn : bm + 4 * bn;
        // the mma.sync kernel's padded rows, or the swizzled tiles and their alignment (the same source serves both)
        if (mma) return Math.max(rows * (d + 8) * 2, tuning.wgmma() ? rows * d * 2 + 1024 : 0);
        if (tf32) {
            int kn = d <= 64 ? tuning.f32KeyTile() : 32;
            // Q, two raw K and two raw V tiles, the K tile's hi and lo parts (padded rows), V's (runs)
            return ((128 + 4 * kn) * (d + 4) + 2 * kn * (d + 4) + 2 * kn * d) * 4;
        }
        return (d * 64 + d * (BN + 4) + BN * d) * 4;
    }

    /**
     * The Hopper path of the bf16/f16 kernel: {@code EINC_WG} is 1 when {@code wgmma} is asked for and the
     * source is compiled for sm_90a (its feature macro), and then the kernel issues Q K^T and P.V as
     * warpgroup mmas ({@code wgmma.mma_async}, m64nNk16) on K, V (and Q, unless it is in registers) in
     * shared memory in the 128-byte swizzled layout; elsewhere it compiles to the mma.sync kernel. The
     * accumulator fragment of a warp is the mma.sync C layout repeated over N / 8, and a register A
     * operand is the mma.sync A fragment, so the weights code is shared.
     */
    static String wgmmaHelpers(boolean wgmma, String type) {
        StringBuilder h = new StringBuilder();
        h.append("#if defined(__CUDA_ARCH_FEAT_SM90_ALL) && ").append(wgmma ? 1 : 0).append("\n#define EINC_WG 1\n#else\n#define EINC_WG 0\n#endif\n");
        h.append("""
                #if EINC_WG
                // a shared-memory matrix descriptor, 128-byte swizzle; byte offsets lbo, sbo (PTX ISA, wgmma matrix descriptor)
                __device__ __forceinline__ unsigned long long einc_desc(const void* p, unsigned lbo, unsigned sbo) {
                  const unsigned a = (unsigned)__cvta_generic_to_shared(p);
                  return (unsigned long long)((a & 0x3FFFF) >> 4) | ((unsigned long long)(lbo >> 4) << 16)
                      | ((unsigned long long)(sbo >> 4) << 32) | (1ULL << 62);
                }
                __device__ __forceinline__ void einc_wg_fence() { asm volatile("wgmma.fence.sync.aligned;\\n" ::: "memory"); }
                __device__ __forceinline__ void einc_wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;\\n" ::: "memory"); }
                template<int N> __device__ __forceinline__ void einc_wg_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\\n" :: "n"(N) : "memory"); }
                // keeps the compiler from moving reads or writes of an accumulator across a wgmma issue or wait
                template<int N> __device__ __forceinline__ void einc_wg_hold(float* d) {
                  #pragma unroll
                  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(d[i]) :: "memory");
                }
                template<int N> __device__ __forceinline__ void einc_wg_ss(float* d, unsigned long long da, unsigned long long db, int acc);
                template<int N, int TB> __device__ __forceinline__ void einc_wg_rs(float* d, const unsigned* a, unsigned long long db, int acc);
                """);
        for (int n : new int[] {16, 32, 64, 128}) {
            int r = n / 2;
            StringBuilder dl = new StringBuilder(), out = new StringBuilder();
            for (int i = 0; i < r; i++) {
                dl.append(i == 0 ? "" : ", ").append('%').append(i);
                out.append(i == 0 ? "" : ", ").append("\"+f\"(d[").append(i).append("])");
            }
            String shape = "wgmma.mma_async.sync.aligned.m64n" + n + "k16.f32." + type + "." + type;
            h.append("template<> __device__ __forceinline__ void einc_wg_ss<").append(n)
                    .append(">(float* d, unsigned long long da, unsigned long long db, int acc) {\n")
                    .append("  asm volatile(\"{\\n.reg .pred p;\\nsetp.ne.b32 p, %").append(r + 2).append(", 0;\\n")
                    .append(shape).append(" {").append(dl).append("}, %").append(r).append(", %").append(r + 1)
                    .append(", p, 1, 1, 0, 0;\\n}\\n\"\n    : ").append(out).append("\n    : \"l\"(da), \"l\"(db), \"r\"(acc));\n}\n");
            for (int tb = 0; tb < 2; tb++)
                h.append("template<> __device__ __forceinline__ void einc_wg_rs<").append(n).append(", ").append(tb)
                        .append(">(float* d, const unsigned* a, unsigned long long db, int acc) {\n")
                        .append("  asm volatile(\"{\\n.reg .pred p;\\nsetp.ne.b32 p, %").append(r + 5).append(", 0;\\n")
                        .append(shape).append(" {").append(dl).append("}, {%").append(r).append(", %").append(r + 1).append(", %")
                        .append(r + 2).append(", %").append(r + 3).append("}, %").append(r + 4).append(", p, 1, 1, ").append(tb)
                        .append(";\\n}\\n\"\n    : ").append(out)
                        .append("\n    : \"r\"(a[0]), \"r\"(a[1]), \"r\"(a[2]), \"r\"(a[3]), \"l\"(db), \"r\"(acc));\n}\n");
        }
        h.append("#endif\n");
        return h.toString();
    }

    static final String MMA_HELPERS = """
            template<int N> struct einc_int { static constexpr int value = N; };
            __device__ __forceinline__ void einc_cp16(void* dst, const void* src, int bytes) {
              unsigned d = (unsigned)__cvta_generic_to_shared(dst);
              asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\\n" :: "r"(d), "l"(src), "r"(bytes) : "memory");
            }
            __device__ __forceinline__ void einc_cp_commit() { asm volatile("cp.async.commit_group;\\n" ::: "memory"); }
            template<int N> __device__ __forceinline__ void einc_cp_wait() { asm volatile("cp.async.wait_group %0;\\n" :: "n"(N) : "memory"); }
            __device__ __forceinline__ void einc_ldm_x4(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const void* p) {
              unsigned s = (unsigned)__cvta_generic_to_shared(p);
              asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\\n" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(s));
            }
            __device__ __forceinline__ void einc_ldm_x4_t(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const void* p) {
              unsigned s = (unsigned)__cvta_generic_to_shared(p);
              asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\\n" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(s));
            }
            __device__ __forceinline__ void einc_mma(float* c, const unsigned* a, unsigned b0, unsigned b1) {
              asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.%MMA_TYPE%.%MMA_TYPE%.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\\n"
                : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
            }
            __device__ __forceinline__ void einc_split(float x, unsigned& hi, unsigned& lo) {
              // round to nearest, ties away (cvt.rna.tf32.f32) by integer ops: an add and a mask on the ALUs
              hi = (__float_as_uint(x) + 0x1000u) & 0xffffe000u;
              lo = __float_as_uint(x - __uint_as_float(hi));
            }
            __device__ __forceinline__ void einc_mma_tf32(float* c, const unsigned* a, const unsigned* b) {
              asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\\n"
                : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
            }
            // log2(1 + 2^y), softplus in base 2 (softplus(x) = ln 2 * sp2(x log2 e)), with log2(1 + t) for t = 2^-|y|
            // in [0, 1] as t * p(t), p of degree 4 (relative error 6e-5, under bf16's 4e-3): one MUFU op, not two
            __device__ __forceinline__ float einc_sp2(float y) {
              const float t = einc_ex2(-fabsf(y));
              float p = fmaf(0.0596467815f, t, -0.227100104f);
              p = fmaf(p, t, 0.441877782f);
              p = fmaf(p, t, -0.716979742f);
              p = fmaf(p, t, 1.44261253f);
              return fmaf(t, p, fmaxf(y, 0.f));
            }
            __device__ __forceinline__ unsigned einc_pack(float lo, float hi) {
              unsigned r; asm("cvt.rn.%MMA_TYPE%x2.f32 %0, %1, %2;\\n" : "=r"(r) : "f"(hi), "f"(lo)); return r;
            }
            """;

    /** The bf16/f16 kernel up to the scores of a key tile: tiles, Q fragments, cp.async prefetch, Q K^T on mma.m16n8k16. */
    private static final String MMA_HEAD = """
            #define EINC_NORM %NORM%
            #define EINC_EMPTY_NAN %EMPTYNAN%
            #define EINC_EXACT %EXACT%
            #define EINC_MT64 %MT64%
            #define EINC_MT128 %MT128%
            #define EINC_QREG_MAX %QREG%
            #define EINC_BN %BN%
            #define EINC_BN128 %BN128%
            #define EINC_KS64 %KS64%
            #define EINC_KS128 %KS128%
            template<int DP>
            __device__ __forceinline__ void einc_flash(const EincArgs& a) {
            %SETUP%
              // 4 warps, each EINC_MT tiles of 16 query rows: every K/V fragment read from shared memory feeds EINC_MT mmas
              constexpr bool WG = EINC_WG;  // warpgroup mmas on swizzled tiles (sm_90a), else mma.sync on padded rows
              // under WG a warp's 16-row tiles are 64 rows apart (tile mt of the block's rows is one wgmma's m64)
              constexpr int MT = DP <= 64 ? EINC_MT64 : EINC_MT128, BM = 64 * MT, BN = DP <= 64 ? EINC_BN : EINC_BN128, LD = WG ? DP : DP + 8, NT = BN / 8, DT = DP / 8, KQ = DP / 16;
              constexpr int MSTRIDE = WG ? 64 : 16;
              constexpr int KS = DP <= 64 ? EINC_KS64 : EINC_KS128, JS = NT / KS;  // sub-tiles of a key tile, 8-key blocks a sub-tile
            %ROWS%
              constexpr bool QREG = DP <= EINC_QREG_MAX;  // Q fragments in registers, else re-read from shared memory per tile
              constexpr bool QALIAS = QREG && BM == BN;      // Q staged in the second V tile until it is in registers
              extern __shared__ __align__(16) unsigned char einc_smem[];
              // the swizzled tiles start at a 1024-byte boundary of the shared window (the swizzle's period)
              unsigned char* smem = einc_smem + (WG ? (1024 - ((unsigned)__cvta_generic_to_shared(einc_smem) & 1023)) & 1023 : 0);
              unsigned short* sK = (unsigned short*)smem + (QALIAS ? 0 : BM * LD);  // two K tiles
              unsigned short* sV = sK + 2 * BN * LD;                                     // two V tiles
              unsigned short* sQ = QALIAS ? sV + BN * LD : (unsigned short*)smem;        // BM x LD
              // element (r, col) of an R-row tile: rows of LD, or (WG) 64-column halves of R rows of 128 bytes, whose
              // 16-byte chunks are permuted by the row's low 3 bits (the wgmma 128-byte swizzle, on byte address bits 4-6 ^ 7-9)
              auto at = [&](auto rtag, unsigned short* s, int r, int col) -> unsigned short* {
                constexpr int R = decltype(rtag)::value;
                if constexpr (WG) return s + (col >> 6) * (R * 64) + r * 64 + ((((col & 63) >> 3) ^ (r & 7)) << 3) + (col & 7);
                else return s + r * LD + col;
              };
              const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
              const bool aligned = ((E_ & 7) == 0) && ((F_ & 7) == 0);
              // loads rows [r0, r0 + R) of a rows x cols matrix into s, zero outside
              auto load = [&](auto rtag, unsigned short* s, const unsigned short* g, long long r0, long long rows, long long cols) {
                constexpr int R = decltype(rtag)::value;
                #pragma unroll
                for (int c = tid; c < R * (DP / 8); c += 128) {
                  const int r = c / (DP / 8), col = (c % (DP / 8)) * 8;
                  unsigned short* dst = at(rtag, s, r, col);
                  const long long gr = r0 + r;
                  if (aligned) {
                    const bool in = gr < rows && col < cols;
                    einc_cp16(dst, in ? (const void*)(g + gr * cols + col) : (const void*)g, in ? 16 : 0);
                  } else {
                    #pragma unroll
                    for (int i = 0; i < 8; ++i) dst[i] = (gr < rows && col + i < cols) ? g[gr * cols + col + i] : (unsigned short)0;
                  }
                }
              };
              load(einc_int<BM>{}, sQ, (const unsigned short*)Qg, p0, P_, E_);
              if (t0 < t1) {
                load(einc_int<BN>{}, sK, (const unsigned short*)Kg, t0 * BN, M_, E_);
                load(einc_int<BN>{}, sV, (const unsigned short*)Vg, t0 * BN, M_, F_);
              }
              einc_cp_commit();
              const int wrow = WG ? warp * 16 : warp * 16 * MT;  // the warp's first row in the block
              unsigned qf[MT][QREG ? KQ : 1][4];
              if (QREG) {
                einc_cp_wait<0>();
                __syncthreads();
                #pragma unroll
                for (int mt = 0; mt < MT; ++mt)
                  #pragma unroll
                  for (int kk = 0; kk < (QREG ? KQ : 1); ++kk) {
                    const int mat = lane >> 3;
                    const unsigned short* p = at(einc_int<BM>{}, sQ, wrow + mt * MSTRIDE + (mat & 1) * 8 + (lane & 7), kk * 16 + (mat >> 1) * 8);
                    einc_ldm_x4(qf[mt][kk][0], qf[mt][kk][1], qf[mt][kk][2], qf[mt][kk][3], p);
                  }
                if (QALIAS) __syncthreads();  // every warp holds its Q fragments: the second V tile is free for the prefetch
              }
              float o[MT][DT][4];
              #pragma unroll
              for (int mt = 0; mt < MT; ++mt)
                #pragma unroll
                for (int j = 0; j < DT; ++j) { o[mt][j][0] = o[mt][j][1] = o[mt][j][2] = o[mt][j][3] = 0.f; }
              float mrow[MT][2], lrow[MT][2];
              #pragma unroll
              for (int mt = 0; mt < MT; ++mt) {
                mrow[mt][0] = mrow[mt][1] = -__int_as_float(0x7f800000);
                lrow[mt][0] = lrow[mt][1] = 0.f;
              }
              const float LOG2E = 1.4426950408889634f;
            %SLOPE%
              for (long long t = t0; t < t1; ++t) {
                const int buf = (int)((t - t0) & 1);
                if (t + 1 < t1) {
                  load(einc_int<BN>{}, sK + (buf ^ 1) * BN * LD, (const unsigned short*)Kg, (t + 1) * BN, M_, E_);
                  load(einc_int<BN>{}, sV + (buf ^ 1) * BN * LD, (const unsigned short*)Vg, (t + 1) * BN, M_, F_);
                }
                einc_cp_commit();
                einc_cp_wait<1>();
                // the tensor cores read the tiles through the async proxy: order this thread's copies before them
                if constexpr (WG) asm volatile("fence.proxy.async.shared::cta;\\n" ::: "memory");
                __syncthreads();
                const unsigned short* cK = sK + buf * BN * LD;
                const unsigned short* cV = sV + buf * BN * LD;
            """;

    /**
     * Q K^T of one sub-tile of a key tile (bf16/f16): a lambda over the sub-tile's tag, the scores of keys
     * [J0 * 8, (J0 + JS) * 8) of the tile into {@code s}.
     */
    private static final String MMA_QK = """
                float s[MT][NT][4];
            #if EINC_WG
                // one m64 wgmma per 16-row tile index mt and k-step: A = Q (registers, or the swizzled Q tile), B = the
                // K tile (K-major: 8-row groups 1024 bytes apart, k-steps 32 bytes apart within a 64-column half)
                auto qk = [&](auto stag) {
                  constexpr int J0 = decltype(stag)::value * JS;
                  einc_wg_fence();
                  #pragma unroll
                  for (int mt = 0; mt < MT; ++mt) {
                    #pragma unroll
                    for (int kk = 0; kk < KQ; ++kk) {
                      const unsigned long long db = einc_desc(cK + (kk >> 2) * (BN * 64) + J0 * 8 * 64 + (kk & 3) * 16, 16, 1024);
                      if constexpr (QREG) einc_wg_rs<JS * 8, 0>(&s[mt][J0][0], qf[mt][kk], db, kk);
                      else einc_wg_ss<JS * 8>(&s[mt][J0][0], einc_desc(sQ + (kk >> 2) * (BM * 64) + mt * 64 * 64 + (kk & 3) * 16, 16, 1024), db, kk);
                    }
                  }
                  einc_wg_commit();
                };
                // waits until at most N wgmma groups are in flight, then holds sub-tile stag's scores (they are ready)
                auto qk_ready = [&](auto ntag, auto stag) {
                  constexpr int J0 = decltype(stag)::value * JS;
                  einc_wg_wait<decltype(ntag)::value>();
                  #pragma unroll
                  for (int mt = 0; mt < MT; ++mt) einc_wg_hold<JS * 4>(&s[mt][J0][0]);
                };
            #else
                auto qk = [&](auto stag) {
                  constexpr int J0 = decltype(stag)::value * JS;
                  #pragma unroll
                  for (int mt = 0; mt < MT; ++mt)
                    #pragma unroll
                    for (int j = J0; j < J0 + JS; ++j) { s[mt][j][0] = s[mt][j][1] = s[mt][j][2] = s[mt][j][3] = 0.f; }
                  #pragma unroll
                  for (int kk = 0; kk < KQ; ++kk) {
                    const int mat = lane >> 3;
                    if (!QREG) {
                      #pragma unroll
                      for (int mt = 0; mt < MT; ++mt) {
                        const unsigned short* p = sQ + (wrow + mt * 16 + (mat & 1) * 8 + (lane & 7)) * LD + kk * 16 + (mat >> 1) * 8;
                        einc_ldm_x4(qf[mt][0][0], qf[mt][0][1], qf[mt][0][2], qf[mt][0][3], p);
                      }
                    }
                    #pragma unroll
                    for (int j = J0; j < J0 + JS; j += 2) {
                      const unsigned short* p = cK + (j * 8 + (mat >> 1) * 8 + (lane & 7)) * LD + kk * 16 + (mat & 1) * 8;
                      unsigned b0, b1, b2, b3;
                      einc_ldm_x4(b0, b1, b2, b3, p);
                      #pragma unroll
                      for (int mt = 0; mt < MT; ++mt) {
                        einc_mma(s[mt][j], qf[mt][QREG ? kk : 0], b0, b1);
                        einc_mma(s[mt][j + 1], qf[mt][QREG ? kk : 0], b2, b3);
                      }
                    }
                  }
                };
            #endif
            """;

    /**
     * The f32 kernel up to the scores of a key tile: 8 warps of 16 query rows share each K/V tile, which
     * is split into tf32 hi and lo parts once for the block (not once a warp); Q K^T as three tf32 mmas
     * a product (split precision), f32-accurate.
     */
    private static final String TF32_HEAD = """
            #define EINC_NORM %NORM%
            #define EINC_EMPTY_NAN %EMPTYNAN%
            #define EINC_EXACT %EXACT%
            #define EINC_F32BN %F32BN%
            template<int DP>
            __device__ __forceinline__ void einc_flash(const EincArgs& a) {
            %SETUP%
              // 8 warps of 16 query rows; f32 products as three tf32 mmas (hi*hi + hi*lo + lo*hi)
              constexpr int MT = 1, BM = 128, BN = DP <= 64 ? EINC_F32BN : 32, LD = DP + 4, NT = BN / 8, DT = DP / 8, KS = DP / 8;
              constexpr int NTH = 256, VC = DT / 2;  // threads; 16-byte chunks of a run of V's parts (below)
            %ROWS%
              extern __shared__ __align__(16) unsigned char einc_smem[];
              float* sQ = (float*)einc_smem;  // BM x LD: LD = 4 mod 32 spreads a fragment's 32 reads over the 32 banks
              float* sK = sQ + BM * LD;       // two raw K tiles (cp.async, two tiles ahead)
              float* sV = sK + 2 * BN * LD;   // two raw V tiles
              float* sKh = sV + 2 * BN * LD;  // the current K tile's tf32 hi parts, BN x LD, read by ldmatrix
              float* sKl = sKh + BN * LD;     // and its lo parts
              // the current V tile's hi and lo parts in fragment order: for key block j and lane (g, tq) a run of
              // 2 DT floats, V[8j + 2tq][8f + g] and V[8j + 2tq + 1][8f + g] for f = 0..DT-1, in 16-byte chunks
              // (f = 2c, 2c + 1) rotated by the lane: one conflict-free LDS.128 per chunk instead of four scalar reads and splits
              float* sVh = sKl + BN * LD;
              float* sVl = sVh + BN * DP;
              const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
              const bool aligned = ((E_ & 3) == 0) && ((F_ & 3) == 0);
              // loads rows [r0, r0 + R) of a rows x cols matrix into s, zero outside
              auto load = [&](auto rtag, float* s, const float* gp, long long r0, long long rows, long long cols) {
                constexpr int R = decltype(rtag)::value;
                #pragma unroll
                for (int c = tid; c < R * (DP / 4); c += NTH) {
                  const int r = c / (DP / 4), col = (c % (DP / 4)) * 4;
                  float* dst = s + r * LD + col;
                  const long long gr = r0 + r;
                  if (aligned) {
                    const bool in = gr < rows && col < cols;
                    einc_cp16(dst, in ? (const void*)(gp + gr * cols + col) : (const void*)gp, in ? 16 : 0);
                  } else {
                    #pragma unroll
                    for (int i = 0; i < 4; ++i) dst[i] = (gr < rows && col + i < cols) ? gp[gr * cols + col + i] : 0.f;
                  }
                }
              };
              load(einc_int<BM>{}, sQ, Qg, p0, P_, E_);
              if (t0 < t1) {
                load(einc_int<BN>{}, sK, Kg, t0 * BN, M_, E_);
                load(einc_int<BN>{}, sV, Vg, t0 * BN, M_, F_);
              }
              einc_cp_commit();
              if (t0 + 1 < t1) {
                load(einc_int<BN>{}, sK + BN * LD, Kg, (t0 + 1) * BN, M_, E_);
                load(einc_int<BN>{}, sV + BN * LD, Vg, (t0 + 1) * BN, M_, F_);
              }
              einc_cp_commit();
              const int wrow = warp * 16;
              constexpr int MSTRIDE = 16;
              float o[MT][DT][4];
              #pragma unroll
              for (int j = 0; j < DT; ++j) { o[0][j][0] = o[0][j][1] = o[0][j][2] = o[0][j][3] = 0.f; }
              float mrow[MT][2], lrow[MT][2];
              mrow[0][0] = mrow[0][1] = -__int_as_float(0x7f800000);
              lrow[0][0] = lrow[0][1] = 0.f;
              const float LOG2E = 1.4426950408889634f;
            %SLOPE%
              for (long long t = t0; t < t1; ++t) {
                const int buf = (int)((t - t0) & 1);
                einc_cp_wait<1>();
                __syncthreads();  // tile t is in; every warp is done with the parts of tile t - 1
                {
                  const float* rK = sK + buf * BN * LD;
                  #pragma unroll
                  for (int c = tid; c < BN * (DP / 4); c += NTH) {
                    const int r = c / (DP / 4), col = (c % (DP / 4)) * 4;
                    const float4 x = *(const float4*)(rK + r * LD + col);
                    uint4 h, l;
                    einc_split(x.x, h.x, l.x);
                    einc_split(x.y, h.y, l.y);
                    einc_split(x.z, h.z, l.z);
                    einc_split(x.w, h.w, l.w);
                    *(uint4*)(sKh + r * LD + col) = h;
                    *(uint4*)(sKl + r * LD + col) = l;
                  }
                  const float* rV = sV + buf * BN * LD;
                  #pragma unroll
                  for (int i = tid; i < BN * DP / 4; i += NTH) {
                    const int gg = i % 8, tt = (i / 8) % 4, c = (i / 32) % VC, j = i / (32 * VC);  // a warp reads 32 banks
                    const float* v = rV + (8 * j + 2 * tt) * LD + 16 * c + gg;
                    uint4 h, l;
                    einc_split(v[0], h.x, l.x);
                    einc_split(v[LD], h.y, l.y);
                    einc_split(v[8], h.z, l.z);
                    einc_split(v[LD + 8], h.w, l.w);
                    const int at = (32 * j + 8 * tt + gg) * 2 * DT + ((c ^ (((gg & 1) * 4 + tt) & (VC - 1))) * 4);
                    *(uint4*)(sVh + at) = h;
                    *(uint4*)(sVl + at) = l;
                  }
                }
                __syncthreads();  // the parts are in; the raw buffer takes tile t + 2
                if (t + 2 < t1) {
                  load(einc_int<BN>{}, sK + buf * BN * LD, Kg, (t + 2) * BN, M_, E_);
                  load(einc_int<BN>{}, sV + buf * BN * LD, Vg, (t + 2) * BN, M_, F_);
                }
                einc_cp_commit();
                // hi*hi and the two small terms in separate accumulators: twice the independent mma chains
                float s[MT][NT][4], sc[NT][4];
                #pragma unroll
                for (int j = 0; j < NT; ++j)
                  #pragma unroll
                  for (int e = 0; e < 4; ++e) s[0][j][e] = sc[j][e] = 0.f;
                // ldmatrix on f32 rows: a thread's word of an 8x4 f32 block is (lane / 4, lane % 4), the tf32 fragment layout
                const int mat = lane >> 3;
                #pragma unroll
                for (int ks = 0; ks < KS; ++ks) {
                  unsigned qa[4], ah[4], al[4];
                  einc_ldm_x4(qa[0], qa[1], qa[2], qa[3], sQ + (wrow + (mat & 1) * 8 + (lane & 7)) * LD + ks * 8 + (mat >> 1) * 4);
                  #pragma unroll
                  for (int i = 0; i < 4; ++i) einc_split(__uint_as_float(qa[i]), ah[i], al[i]);
                  #pragma unroll
                  for (int j = 0; j < NT; j += 2) {
                    const int at = (j * 8 + (mat >> 1) * 8 + (lane & 7)) * LD + ks * 8 + (mat & 1) * 4;
                    unsigned bh[4], bl[4];
                    einc_ldm_x4(bh[0], bh[1], bh[2], bh[3], sKh + at);
                    einc_ldm_x4(bl[0], bl[1], bl[2], bl[3], sKl + at);
                    einc_mma_tf32(sc[j], al, bh);
                    einc_mma_tf32(sc[j], ah, bl);
                    einc_mma_tf32(s[0][j], ah, bh);
                    einc_mma_tf32(sc[j + 1], al, bh + 2);
                    einc_mma_tf32(sc[j + 1], ah, bl + 2);
                    einc_mma_tf32(s[0][j + 1], ah, bh + 2);
                  }
                }
                #pragma unroll
                for (int j = 0; j < NT; ++j)
                  #pragma unroll
                  for (int e = 0; e < 4; ++e) s[0][j][e] += sc[j][e];
                float oc[MT][2];  // the rescale of O by a new row maximum
                oc[0][0] = oc[0][1] = 1.f;
            """;

    /** Scores to weights for both tensor-core kernels: mask, online softmax or sums; %RESCALE% applies the new row maximum to O. */
    private static final String TILE_BOUNDS = """
                const long long k0 = t * BN;
                const bool full = EINC_EXACT && k0 + BN <= M_ && k0 + BN - 1 < einc_key_hi(a, prm%BATCH%, p0) && k0 >= einc_key_lo(a, prm%BATCH%, plast);
            """;

    private static final String WEIGHTS = """
                #pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                  const int r0 = (int)p0 + wrow + mt * MSTRIDE + (lane >> 2), r1 = r0 + 8;
                  if (full) {
                    #pragma unroll
                    for (int j = 0; j < NT; ++j)
                      #pragma unroll
                      for (int e = 0; e < 4; ++e) {
                        const int row = e < 2 ? r0 : r1;
                        const int key = (int)k0 + j * 8 + (lane & 3) * 2 + (e & 1);
                        (void)row; (void)key;
                        s[mt][j][e] = %WEIGHT%;
                      }
                  } else {
                    #pragma unroll
                    for (int j = 0; j < NT; ++j)
                      #pragma unroll
                      for (int e = 0; e < 4; ++e) {
                        const int row = e < 2 ? r0 : r1;
                        const int key = (int)k0 + j * 8 + (lane & 3) * 2 + (e & 1);
                        const bool ok = key < M_ && einc_mask(a, prm%BATCH%, row, key);
            #if EINC_NORM == 0
                        s[mt][j][e] = ok ? %WEIGHT% : -__int_as_float(0x7f800000);
            #else
                        s[mt][j][e] = ok ? %WEIGHT% : 0.f;
            #endif
                      }
                  }
            #if EINC_NORM == 0
                  #pragma unroll
                  for (int h = 0; h < 2; ++h) {
                    float tmax = -__int_as_float(0x7f800000);
                    #pragma unroll
                    for (int j = 0; j < NT; ++j) tmax = fmaxf(tmax, fmaxf(s[mt][j][2 * h], s[mt][j][2 * h + 1]));
                    tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffff, tmax, 1));
                    tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffff, tmax, 2));
                    const float mnew = fmaxf(mrow[mt][h], tmax);
                    const float base = mnew == -__int_as_float(0x7f800000) ? 0.f : mnew;
                    const float corr = einc_ex2(mrow[mt][h] - base);
                    mrow[mt][h] = mnew;
                    lrow[mt][h] *= corr;
                    #pragma unroll
                    %RESCALE%
                    #pragma unroll
                    for (int j = 0; j < NT; ++j) {
                      s[mt][j][2 * h] = einc_ex2(s[mt][j][2 * h] - base);
                      s[mt][j][2 * h + 1] = einc_ex2(s[mt][j][2 * h + 1] - base);
                      lrow[mt][h] += s[mt][j][2 * h] + s[mt][j][2 * h + 1];
                    }
                  }
            #elif EINC_NORM == 1
                  #pragma unroll
                  for (int j = 0; j < NT; ++j) { lrow[mt][0] += s[mt][j][0] + s[mt][j][1]; lrow[mt][1] += s[mt][j][2] + s[mt][j][3]; }
            #endif
                }
            """;

    /** P.V of the bf16/f16 kernel: P packed from the score registers as the A fragments, V by ldmatrix.trans. */
    private static final String MMA_PV = """
            #if EINC_WG
                // P.V as m64nDPk16 wgmmas: A = P packed from the scores, B = the V tile (MN-major, transposed: 8-key
                // groups 1024 bytes apart, the two 64-column halves BN * 128 bytes apart)
                auto pv = [&](auto stag) {
                  constexpr int J0 = decltype(stag)::value * JS;
                  unsigned pa[MT][JS / 2][4];
                  #pragma unroll
                  for (int mt = 0; mt < MT; ++mt)
                    #pragma unroll
                    for (int k = 0; k < JS / 2; ++k) {
                      const int j = J0 + 2 * k;
                      pa[mt][k][0] = einc_pack(s[mt][j][0], s[mt][j][1]);
                      pa[mt][k][1] = einc_pack(s[mt][j][2], s[mt][j][3]);
                      pa[mt][k][2] = einc_pack(s[mt][j + 1][0], s[mt][j + 1][1]);
                      pa[mt][k][3] = einc_pack(s[mt][j + 1][2], s[mt][j + 1][3]);
                    }
                  einc_wg_fence();
                  #pragma unroll
                  for (int mt = 0; mt < MT; ++mt)
                    #pragma unroll
                    for (int k = 0; k < JS / 2; ++k)
                      einc_wg_rs<DP, 1>(&o[mt][0][0], pa[mt][k], einc_desc(cV + (J0 * 8 + k * 16) * 64, BN * 128, 1024), 1);
                  einc_wg_commit();
                };
                // the tile as KS sub-tiles: the tensor cores compute the scores of sub-tile 1 while the weights of
                // sub-tile 0 are taken, and (weights that never rescale O) P.V of sub-tile 0 during the weights of 1
                auto tile = [&](auto ftag) {
                  qk(einc_int<0>{});
                  if constexpr (KS > 1) qk(einc_int<1>{});
                  qk_ready(einc_int<KS - 1>{}, einc_int<0>{});
                  weights(einc_int<0>{}, ftag);
                  pv(einc_int<0>{});
                  if constexpr (KS > 1) {
                    qk_ready(einc_int<EINC_NORM == 0 ? 0 : 1>{}, einc_int<1>{});
                    weights(einc_int<1>{}, ftag);
                    pv(einc_int<1>{});
                  }
                  einc_wg_wait<0>();
                  #pragma unroll
                  for (int mt = 0; mt < MT; ++mt) einc_wg_hold<DT * 4>(&o[mt][0][0]);
                };
            #else
                auto pv = [&](auto stag) {
                  constexpr int J0 = decltype(stag)::value * JS;
                  #pragma unroll
                  for (int kk = J0 / 2; kk < (J0 + JS) / 2; ++kk) {
                    unsigned pa[MT][4];
                    #pragma unroll
                    for (int mt = 0; mt < MT; ++mt) {
                      pa[mt][0] = einc_pack(s[mt][2 * kk][0], s[mt][2 * kk][1]);
                      pa[mt][1] = einc_pack(s[mt][2 * kk][2], s[mt][2 * kk][3]);
                      pa[mt][2] = einc_pack(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]);
                      pa[mt][3] = einc_pack(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
                    }
                    #pragma unroll
                    for (int j = 0; j < DT; j += 2) {
                      const int mat = lane >> 3;
                      const unsigned short* p = cV + (kk * 16 + (mat & 1) * 8 + (lane & 7)) * LD + (j + (mat >> 1)) * 8;
                      unsigned b0, b1, b2, b3;
                      einc_ldm_x4_t(b0, b1, b2, b3, p);
                      #pragma unroll
                      for (int mt = 0; mt < MT; ++mt) {
                        einc_mma(o[mt][j], pa[mt], b0, b1);
                        einc_mma(o[mt][j + 1], pa[mt], b2, b3);
                      }
                    }
                  }
                };
                // a tile as KS sub-tiles of keys: the scores of sub-tile 1 are issued before the weights of
                // sub-tile 0, and P.V of sub-tile 0 before the weights of sub-tile 1, so that a warp's
                // tensor-core work and its element-wise work are independent streams the scheduler interleaves
                // (each arm of the full/masked test is one basic block)
                auto tile = [&](auto ftag) {
                  qk(einc_int<0>{});
                  if constexpr (KS > 1) qk(einc_int<1>{});
                  weights(einc_int<0>{}, ftag);
                  pv(einc_int<0>{});
                  if constexpr (KS > 1) {
                    weights(einc_int<1>{}, ftag);
                    pv(einc_int<1>{});
                  }
                };
            #endif
                if (full) tile(einc_int<1>{});
                else tile(einc_int<0>{});
                __syncthreads();
              }
            """;

    /** P.V of the f32 kernel, three tf32 mmas a product, V's parts by one LDS.128 a chunk. */
    private static final String TF32_PV = """
                // P's accumulator fragment is the A fragment of P.V with the 8 keys of a block taken in the
                // order 0 2 4 6 1 3 5 7 (column t of A is key 2t, column t + 4 is key 2t + 1); V's rows follow.
                // The tile's sum starts from zero and is added to O in f32: the tensor cores' accumulation
                // (truncating) then runs over one tile of keys, not all of them (1.9e-5 at 4096 keys otherwise)
                unsigned ph[NT][4], pl[NT][4];
                #pragma unroll
                for (int j = 0; j < NT; ++j) {
                  einc_split(s[0][j][0], ph[j][0], pl[j][0]);
                  einc_split(s[0][j][2], ph[j][1], pl[j][1]);
                  einc_split(s[0][j][1], ph[j][2], pl[j][2]);
                  einc_split(s[0][j][3], ph[j][3], pl[j][3]);
                }
                const int sw = (lane & 7) & (VC - 1), run = ((lane & 3) * 8 + (lane >> 2)) * 2 * DT;
                #pragma unroll
                for (int c = 0; c < VC; ++c) {
                  float acc[2][4];
                  #pragma unroll
                  for (int e = 0; e < 4; ++e) acc[0][e] = acc[1][e] = 0.f;
                  #pragma unroll
                  for (int j = 0; j < NT; ++j) {
                    const int at = j * 64 * DT + run + (c ^ sw) * 4;
                    const uint4 h = *(const uint4*)(sVh + at), l = *(const uint4*)(sVl + at);
                    const unsigned h0[2] = {h.x, h.y}, h1[2] = {h.z, h.w}, l0[2] = {l.x, l.y}, l1[2] = {l.z, l.w};
                    einc_mma_tf32(acc[0], pl[j], h0);
                    einc_mma_tf32(acc[1], pl[j], h1);
                    einc_mma_tf32(acc[0], ph[j], l0);
                    einc_mma_tf32(acc[1], ph[j], l1);
                    einc_mma_tf32(acc[0], ph[j], h0);
                    einc_mma_tf32(acc[1], ph[j], h1);
                  }
                  #pragma unroll
                  for (int e = 0; e < 4; ++e) {
                    o[0][2 * c][e] = fmaf(o[0][2 * c][e], oc[0][e >> 1], acc[0][e]);
                    o[0][2 * c + 1][e] = fmaf(o[0][2 * c + 1][e], oc[0][e >> 1], acc[1][e]);
                  }
                }
              }
            """;

    /** Normalization and the store of O, for both tensor-core kernels. */
    private static final String EPILOGUE = """
              #pragma unroll
              for (int mt = 0; mt < MT; ++mt) {
                float inv[2] = {1.f, 1.f};
            #if EINC_NORM != 2
                #pragma unroll
                for (int h = 0; h < 2; ++h) {
                  float l = lrow[mt][h];
                  l += __shfl_xor_sync(0xffffffff, l, 1);
                  l += __shfl_xor_sync(0xffffffff, l, 2);
            #if EINC_EMPTY_NAN
                  inv[h] = 1.f / l;  // SNV / SD as written: a row with no key is 0 / 0 = NaN
            #else
                  inv[h] = l != 0.f ? 1.f / l : 0.f;
            #endif
                }
            #endif
                const long long r0 = p0 + wrow + mt * MSTRIDE + (lane >> 2);
                #pragma unroll
                for (int j = 0; j < DT; ++j) {
                  const long long col = j * 8 + (lane & 3) * 2;
                  #pragma unroll
                  for (int h = 0; h < 2; ++h) {
                    const long long row = r0 + 8 * h;
                    if (row < P_) {
                      const float o0 = o[mt][j][2 * h] * inv[h], o1 = o[mt][j][2 * h + 1] * inv[h];
                      if (col < F_) Og[row * F_ + col] = %STORE0%;
                      if (col + 1 < F_) Og[row * F_ + col + 1] = %STORE1%;
                    }
                  }
                }
              }
            }
            """;

    /** The bf16/f16 kernel: tensor-core scores, weights, P.V and the epilogue. */
    static final String MMA_BODY = MMA_HEAD + TILE_BOUNDS + MMA_QK + mmaWeights() + MMA_PV + EPILOGUE;

    /** {@link #WEIGHTS} as a lambda over a sub-tile's tag and whether the tile is whole (no mask tests). */
    private static String mmaWeights() {
        String w = WEIGHTS.replace("%RESCALE%", "for (int j = 0; j < DT; ++j) { o[mt][j][2 * h] *= corr; o[mt][j][2 * h + 1] *= corr; }")
                .replace("for (int j = 0; j < NT; ++j)", "for (int j = J0; j < J0 + JS; ++j)")
                .replace("if (full) {", "if constexpr (FULL) {")
                .indent(2);
        return "                auto weights = [&](auto stag, auto ftag) {\n"
                + "                  constexpr int J0 = decltype(stag)::value * JS;\n"
                + "                  constexpr bool FULL = decltype(ftag)::value != 0;\n"
                + w + "                };\n";
    }

    /** The f32 kernel on tensor cores: each product as three tf32 mmas (split precision), f32-accurate. */
    static final String TF32_BODY = TF32_HEAD + TILE_BOUNDS + WEIGHTS.replace("%RESCALE%", "oc[mt][h] = corr;  // applied as P.V's tile sum is added") + TF32_PV + EPILOGUE;

    static final String SIMT_BODY = """
            #define EINC_NORM %NORM%
            #define EINC_EMPTY_NAN %EMPTYNAN%
            #define EINC_EXACT %EXACT%
            template<int DP>
            __device__ __forceinline__ void einc_flash(const EincArgs& a) {
            %SETUP%
              constexpr int BM = 64, BN = 64, LK = BN + 4, LP = BN + 4, G = DP / 64;
            %ROWS%
              extern __shared__ __align__(16) unsigned char einc_smem[];
              float* Qt = (float*)einc_smem;          // [DP][BM]
              float* Kt = Qt + DP * BM;               // [DP][LK]
              float* Vs = Kt + DP * LK;               // [BN][DP]
              float* Ps = Kt;                         // [BM][LP], over K once the scores are computed
              const int tid = threadIdx.x, ty = tid >> 4, tx = tid & 15;
              for (int c = tid; c < BM * DP; c += 256) {
                const int r = c / DP, d = c % DP;
                const long long gr = p0 + r;
                Qt[d * BM + r] = (gr < P_ && d < E_) ? %LDQ_RD% : 0.f;
              }
              float o[4][4 * G];
              #pragma unroll
              for (int i = 0; i < 4; ++i)
                #pragma unroll
                for (int j = 0; j < 4 * G; ++j) o[i][j] = 0.f;
              float mrow[4], lrow[4];
              #pragma unroll
              for (int i = 0; i < 4; ++i) { mrow[i] = -__int_as_float(0x7f800000); lrow[i] = 0.f; }
              const float LOG2E = 1.4426950408889634f;
              for (long long t = t0; t < t1; ++t) {
                const long long k0 = t * BN;
                __syncthreads();
                for (int c = tid; c < BN * DP; c += 256) {
                  // a warp covers 8 consecutive d of 4 keys: coalesced reads, and banks 4d + r all differ
                  const int q = c >> 2, d = q % DP, r = (q / DP) * 4 + (c & 3);
                  const long long gk = k0 + r;
                  Kt[d * LK + r] = (gk < M_ && d < E_) ? %LDK_RD% : 0.f;
                }
                for (int c = tid; c < BN * DP; c += 256) {
                  const int r = c / DP, d = c % DP;
                  const long long gk = k0 + r;
                  Vs[r * DP + d] = (gk < M_ && d < F_) ? %LDV_RD% : 0.f;
                }
                __syncthreads();
                float s[4][4];
                #pragma unroll
                for (int i = 0; i < 4; ++i)
                  #pragma unroll
                  for (int j = 0; j < 4; ++j) s[i][j] = 0.f;
                #pragma unroll 8
                for (int d = 0; d < DP; ++d) {
                  const float4 qa = *(const float4*)(Qt + d * BM + ty * 4);
                  const float4 kb = *(const float4*)(Kt + d * LK + tx * 4);
                  const float qv[4] = {qa.x, qa.y, qa.z, qa.w}, kv[4] = {kb.x, kb.y, kb.z, kb.w};
                  #pragma unroll
                  for (int i = 0; i < 4; ++i)
                    #pragma unroll
                    for (int j = 0; j < 4; ++j) s[i][j] = fmaf(qv[i], kv[j], s[i][j]);
                }
                const bool full = EINC_EXACT && k0 + BN <= M_ && k0 + BN - 1 < einc_key_hi(a, prm%BATCH%, p0) && k0 >= einc_key_lo(a, prm%BATCH%, plast);
                __syncthreads();  // every thread is done with K: P goes over it
                #pragma unroll
                for (int i = 0; i < 4; ++i) {
                  const int row = (int)p0 + ty * 4 + i;
                  float tmax = -__int_as_float(0x7f800000);
                  #pragma unroll
                  for (int j = 0; j < 4; ++j) {
                    const int key = (int)k0 + tx * 4 + j;
                    const float x = einc_score(a, prm%BATCH%, row, key, s[i][j]);
                    const bool ok = full || (key < M_ && einc_mask(a, prm%BATCH%, row, key));
            #if EINC_NORM == 0
                    s[i][j] = ok ? x * LOG2E : -__int_as_float(0x7f800000);
                    tmax = fmaxf(tmax, s[i][j]);
            #else
                    s[i][j] = ok ? x : 0.f;
            #endif
                  }
            #if EINC_NORM == 0
                  #pragma unroll
                  for (int w = 1; w < 16; w <<= 1) tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffff, tmax, w));
                  const float mnew = fmaxf(mrow[i], tmax);
                  const float base = mnew == -__int_as_float(0x7f800000) ? 0.f : mnew;
                  const float corr = einc_ex2(mrow[i] - base);
                  mrow[i] = mnew;
                  lrow[i] *= corr;
                  #pragma unroll
                  for (int j = 0; j < 4 * G; ++j) o[i][j] *= corr;
                  #pragma unroll
                  for (int j = 0; j < 4; ++j) { s[i][j] = einc_ex2(s[i][j] - base); lrow[i] += s[i][j]; }
            #elif EINC_NORM == 1
                  #pragma unroll
                  for (int j = 0; j < 4; ++j) lrow[i] += s[i][j];
            #endif
                  *(float4*)(Ps + (ty * 4 + i) * LP + tx * 4) = make_float4(s[i][0], s[i][1], s[i][2], s[i][3]);
                }
                __syncthreads();
                #pragma unroll 4
                for (int k = 0; k < BN; ++k) {
                  float pv[4];
                  #pragma unroll
                  for (int i = 0; i < 4; ++i) pv[i] = Ps[(ty * 4 + i) * LP + k];
                  #pragma unroll
                  for (int g = 0; g < G; ++g) {
                    const float4 vb = *(const float4*)(Vs + k * DP + g * 64 + tx * 4);
                    #pragma unroll
                    for (int i = 0; i < 4; ++i) {
                      o[i][4 * g + 0] = fmaf(pv[i], vb.x, o[i][4 * g + 0]);
                      o[i][4 * g + 1] = fmaf(pv[i], vb.y, o[i][4 * g + 1]);
                      o[i][4 * g + 2] = fmaf(pv[i], vb.z, o[i][4 * g + 2]);
                      o[i][4 * g + 3] = fmaf(pv[i], vb.w, o[i][4 * g + 3]);
                    }
                  }
                }
              }
              #pragma unroll
              for (int i = 0; i < 4; ++i) {
                float inv = 1.f;
            #if EINC_NORM != 2
                float l = lrow[i];
                #pragma unroll
                for (int w = 1; w < 16; w <<= 1) l += __shfl_xor_sync(0xffffffff, l, w);
            #if EINC_EMPTY_NAN
                inv = 1.f / l;  // SNV / SD as written: a row with no key is 0 / 0 = NaN
            #else
                inv = l != 0.f ? 1.f / l : 0.f;
            #endif
            #endif
                const long long row = p0 + ty * 4 + i;
                if (row >= P_) continue;
                #pragma unroll
                for (int g = 0; g < G; ++g)
                  #pragma unroll
                  for (int j = 0; j < 4; ++j) {
                    const long long col = g * 64 + tx * 4 + j;
                    const float ov = o[i][4 * g + j] * inv;
                    if (col < F_) Og[row * F_ + col] = %STORE%;
                  }
              }
            }
            """;
}
