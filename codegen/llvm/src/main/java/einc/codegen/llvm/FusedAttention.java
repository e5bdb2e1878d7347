package einc.codegen.llvm;

import einc.ir.Cascade;
import einc.ir.Expr;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.TensorDecl;
import einc.optimizer.attention.AttentionMatch;
import einc.optimizer.attention.Bounds;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fused flash-attention kernel of the LLVM backend, for cascades {@link AttentionMatch}
 * recognizes. One task is one tile of {@link #BR} query rows of one batch point; tasks of a batch
 * point are ordered outside in (first tile, last tile, second, ...) so that any contiguous range of
 * them carries about the same causal work. Scores are kept transposed, one vector of 16 query rows
 * per key, so the online softmax needs no horizontal reduction: per key tile of {@link #BC}, scores
 * of 32 rows x {@link #KB} keys in 16 {@code <16 x float>} registers (scaled Q transposed once per
 * task, K rows broadcast), then per group of 16 rows the score modification, the masks (bounds from
 * {@link Bounds} as the key range of each row, other conditions per lane) and the online softmax
 * (or plain sums for l1 / no normalization), then {@link #R2} rows x 64 columns of the output in
 * 16 registers (column chunks outside, blocks of rows inside). Softmax of plain scores and
 * softplus under l1 normalization run in base 2 (log2 e folded into Q's scale; for softplus the
 * factor ln 2 cancels in the normalization). Key tiles outside every row's range and groups of rows
 * that see none of a tile are skipped; so are, on the tiles a range cuts (the causal diagonal), the
 * groups of {@link #KB} keys no row of a half of the scores sees and, in the weighted sum, the keys
 * outside the hull of a block of rows' ranges.
 */
final class FusedAttention {

    /** Lanes per vector. */
    static final int VL = 16;
    /** Keys per tile. */
    static final int BC = 64;
    /** Keys per block of scores (with 32 query rows: 16 registers). */
    static final int KB = 8;
    /** Query rows per task. */
    static final int BR = 64;
    /**
     * Floats per e in the transposed Q of a task: {@link #BR} plus one cache line, so that the rows
     * of {@code qs[e][...]} (256 bytes apart otherwise) spread over every L1 set instead of filling
     * a quarter of them (at D=128 the 32 rows of a block of scores took all 8 ways of their sets).
     */
    static final int QS = BR + 16;
    /** Partial maxima per group of rows on a key tile (softmax). */
    static final int RU = 4;
    /**
     * Query rows per block of the weighted sum of V: 4 rows x 4 vectors of columns (4 V loads and 4
     * broadcasts per 16 FMAs) ran 1-3% faster than 8 x 2 (2 + 8) at D=64 and D=128 on the Zen 5.
     */
    static final int R2 = 4;
    /** Vectors of output columns per block of the weighted sum. */
    static final int FC = 4;

    private static final String V = "<16 x float>";
    private static final String I64V = "<16 x i64>";
    private static final String IOTA = iota();

    /** What the kernel computes lane-wise in a score modification. */
    static final AttentionMatch.Support SUPPORT = new AttentionMatch.Support(
            fn -> switch (fn) {
                case NEG, EXP, TANH, ABS, SIGMOID, SOFTPLUS, RELU, SQRT, RSQRT, SIGN -> true;
                default -> false;
            },
            op -> switch (op) {
                case ADD, SUB, MUL, DIV, MIN, MAX -> true;
                default -> false;
            },
            "the llvm fused kernel");

    private final Cascade c;
    private final AttentionMatch.Attention a;
    private final String symbol;
    private final Set<String> decls;
    private final boolean avx512;
    /**
     * The l1-normalized weights are {@code softplus(arg)}: computed as {@code sp2(arg log2 e)}, which
     * is softplus / ln 2 (the factor cancels in the normalization); null otherwise.
     */
    private final Expr softplusArg;
    /**
     * The scores are made base 2 (log2 e folded into the scale of Q): the softmax weights of plain
     * scores ({@code exp(s - max) = 2^(s log2 e - max)}) or the softplus of plain scores above.
     */
    private final boolean base2;
    private final List<String> indices;
    private IrBuilder b;
    private Map<String, String> ext;
    private final Map<String, String> par = new LinkedHashMap<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final Map<String, String> data = new LinkedHashMap<>();

    /** {@code avx512}: the target has AVX-512F (the softmax weights use {@code vscalefps}). */
    FusedAttention(Cascade c, AttentionMatch.Attention a, String symbol, Set<String> decls, boolean avx512) {
        this.c = c;
        this.avx512 = avx512;
        this.a = a;
        this.symbol = symbol;
        this.decls = decls;
        this.indices = c.indices().stream().map(IndexDef::name).toList();
        this.softplusArg = a.norm() == AttentionMatch.Norm.L1 && a.mod() instanceof Expr.Unary(Expr.Fn fn, Expr arg) && fn == Expr.Fn.SOFTPLUS
                ? arg : null;
        this.base2 = (softplusArg != null ? AttentionMatch.SCORE.equals(softplusArg)
                : a.norm() == AttentionMatch.Norm.SOFTMAX && a.mod() == null);
        for (String line : VectorMath.DECLARATIONS.strip().split("\n")) decls.add(line.strip());
        if (avx512) {
            decls.add("declare <16 x float> @llvm.x86.avx512.mask.scalef.ps.512(<16 x float>, <16 x float>, <16 x float>, i16, i32)");
            decls.add("declare <16 x float> @llvm.x86.avx512.rcp14.ps.512(<16 x float>, <16 x float>, i16)");
        }
    }

    /** The vector math functions the kernel calls. */
    String functions() {
        String base2Math = !base2 && softplusArg == null ? ""
                : (avx512 ? VectorMath.EXP2_NEG_AVX512 : VectorMath.EXP2_NEG_PORTABLE) + "\n" + (softplusArg == null ? "" : VectorMath.SOFTPLUS2 + "\n");
        return VectorMath.EXP + "\n" + base2Math + VectorMath.FUNCTIONS + "\n" + (avx512 ? VectorMath.EXP_NEG_AVX512 + "\n" + VectorMath.FUNCTIONS_AVX512
                : VectorMath.EXP_NEG_PORTABLE + "\n" + VectorMath.FUNCTIONS_PORTABLE);
    }

    /** The attention {@code c} is, when the fused kernel takes it; else null and the reason. */
    static AttentionMatch.Result match(Cascade c) {
        return AttentionMatch.match(c, SUPPORT);
    }

    private static String iota() {
        StringBuilder s = new StringBuilder("<");
        for (int i = 0; i < VL; i++) s.append(i == 0 ? "" : ", ").append("i64 ").append(i);
        return s.append(">").toString();
    }

    // --- small IR helpers

    /** {@code p} rounded up to a multiple of 64 bytes (the buffer has 64 bytes to spare). */
    private String align64(String p) {
        String i = b.let("ptrtoint ptr " + p + " to i64");
        return b.let("inttoptr i64 " + b.let("and i64 " + b.add(i, "63") + ", -64") + " to ptr");
    }

    private Map<String, String> loadExtents(IrBuilder ib) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < indices.size(); i++) out.put(indices.get(i), ib.load("i64", ib.gep("i64", "%ext", Integer.toString(i))));
        return out;
    }

    private String sdiv(String x, String y) {
        return b.let("sdiv i64 " + x + ", " + y);
    }

    private String min(String x, String y) {
        return b.select(b.let("icmp slt i64 " + x + ", " + y), "i64", x, y);
    }

    private String max(String x, String y) {
        return b.select(b.let("icmp sgt i64 " + x + ", " + y), "i64", x, y);
    }

    private String splat(String scalarType, String v) {
        String ins = b.let("insertelement <16 x " + scalarType + "> poison, " + scalarType + " " + v + ", i64 0");
        return b.let("shufflevector <16 x " + scalarType + "> " + ins + ", <16 x " + scalarType + "> poison, <16 x i32> zeroinitializer");
    }

    private String vload(String ptr) {
        return b.let("load " + V + ", ptr " + ptr + ", align 4");
    }

    private void vstore(String v, String ptr) {
        b.line("store " + V + " " + v + ", ptr " + ptr + ", align 4");
    }

    private String fma(String x, String y, String z) {
        return b.let("call " + V + " @llvm.fma.v16f32(" + V + " " + x + ", " + V + " " + y + ", " + V + " " + z + ")");
    }

    private String call(String ret, String fn, String... args) {
        StringBuilder decl = new StringBuilder("declare " + ret + " @" + fn + "(");
        StringBuilder use = new StringBuilder("call " + ret + " @" + fn + "(");
        for (int k = 0; k < args.length; k++) {
            decl.append(k == 0 ? "" : ", ").append(ret);
            use.append(k == 0 ? "" : ", ").append(ret).append(' ').append(args[k]);
        }
        if (fn.startsWith("llvm.")) decls.add(decl.append(")").toString());
        return b.let(use.append(")").toString());
    }

    /** The offset (in elements) of the batch part of access {@code x}: its leading {@code lead} positions. */
    private String batchOffset(Expr.Access x, int lead) {
        TensorDecl t = c.tensorOrThrow(x.tensor());
        String off = "0";
        for (int k = 0; k < lead; k++) {
            String stride = "1";
            for (int j = k + 1; j < t.arity(); j++) stride = b.mul(stride, ext.get(t.ranks().get(j).index()));
            off = b.add(off, b.mul(index(x.indices().get(k)), stride));
        }
        return off;
    }

    private String index(IndexExpr e) {
        return b.index(e, env, ext, "the fused kernel");
    }

    // --- the exported functions

    /** {@code S_tasks(ext)}: batch points times query tiles. */
    String tasks() {
        IrBuilder ib = new IrBuilder();
        Map<String, String> x = loadExtents(ib);
        String n = "1";
        for (String r : c.batchRanks()) n = ib.mul(n, x.get(r));
        String tiles = ib.let("sdiv i64 " + ib.add(x.get(a.p()), Integer.toString(BR - 1)) + ", " + BR);
        ib.line("ret i64 " + ib.mul(n, tiles));
        return ib.finish("define i64 @" + symbol + "_tasks(ptr %ext) #0");
    }

    /** {@code S(tens, ext, par, lo, hi)}: runs tasks {@code lo..hi}. */
    String kernel() {
        b = new IrBuilder();
        ext = loadExtents(b);
        for (int k = 0; k < c.params().size(); k++)
            par.put(c.params().get(k).name(), b.load("float", b.gep("float", "%par", Integer.toString(k))));
        List<TensorDecl> args = new ArrayList<>(c.inputs());
        args.addAll(c.outputs());
        for (int k = 0; k < args.size(); k++) data.put(args.get(k).name(), b.load("ptr", b.gep("ptr", "%tens", Integer.toString(k))));
        String nP = ext.get(a.p()), nM = ext.get(a.m()), nE = ext.get(a.e()), nF = ext.get(a.f());
        b.comment("fused attention: norm " + a.norm() + ", " + a.mask().size() + " mask conjuncts, mod " + (a.mod() == null ? "none" : a.mod()));
        String tilesP = sdiv(b.add(nP, Integer.toString(BR - 1)), Integer.toString(BR));
        String fpad = b.mul(sdiv(b.add(nF, "15"), "16"), "16");
        String qsMem = b.let("call ptr @malloc(i64 " + b.add(b.mul(nE, Integer.toString(QS * 4)), "64") + ")");
        String accBytes = b.mul(fpad, Integer.toString(BR * 4));
        String accMem = b.let("call ptr @malloc(i64 " + b.add(accBytes, "64") + ")");
        String qs = align64(qsMem), acc = align64(accMem);
        String st = b.alloca("[" + BR * BC + " x float], align 64");
        String loA = b.alloca("[" + BR + " x i64], align 64"), hiA = b.alloca("[" + BR + " x i64], align 64");
        String maxA = b.alloca("[" + BR + " x float], align 64"), sumA = b.alloca("[" + BR + " x float], align 64");
        String corrA = b.alloca("[" + BR + " x float], align 64");
        String flags = b.alloca("[" + BR / VL + " x i8]");
        String blkLo = b.alloca("[" + BR / R2 + " x i64]"), blkHi = b.alloca("[" + BR / R2 + " x i64]");
        String tileLoS = b.alloca("i64"), tileHiS = b.alloca("i64");

        IrBuilder.Loop task = b.open("task", "%lo", "%hi");
        String t = task.index();
        String bh = sdiv(t, tilesP);
        String i = b.let("srem i64 " + t + ", " + tilesP);
        String half = sdiv(i, "2");
        String odd = b.let("icmp ne i64 " + b.let("and i64 " + i + ", 1") + ", 0");
        String qt = b.select(odd, "i64", b.sub(b.sub(tilesP, "1"), half), half);
        String rest = bh;
        List<String> batch = c.batchRanks();
        for (int k = batch.size() - 1; k >= 0; k--) {
            String e = ext.get(batch.get(k));
            env.put(batch.get(k), k == 0 ? rest : b.let("srem i64 " + rest + ", " + e));
            if (k > 0) rest = sdiv(rest, e);
        }
        String qb = b.gep("float", data.get(a.q().tensor()), batchOffset(a.q(), a.q().indices().size() - 2));
        String kb = b.gep("float", data.get(a.k().tensor()), batchOffset(a.k(), a.k().indices().size() - 2));
        String vb = b.gep("float", data.get(a.v().tensor()), batchOffset(a.v(), a.v().indices().size() - 2));
        String ob = b.gep("float", data.get(a.out().tensor()), batchOffset(a.out(), a.out().indices().size() - 2));

        String p0 = b.mul(qt, Integer.toString(BR));
        String rows = min(Integer.toString(BR), b.sub(nP, p0));
        String scale64 = a.scale() == null ? "1.0" : new Lower("double", 1, null, null, null).number(a.scale());
        if (base2) scale64 = b.let("fmul double " + scale64 + ", " + f64(LOG2E));
        String scale = b.let("fptrunc double " + scale64 + " to float");

        b.comment("per row: the key range its bounds allow, running max and sum, scaled Q transposed (qs[e][row])");
        b.store("i64", nM, tileLoS);
        b.store("i64", "0", tileHiS);
        IrBuilder.Loop rl = b.open("row", "0", Integer.toString(BR));
        String r = rl.index();
        String p = b.add(p0, r);
        String active = b.let("icmp slt i64 " + r + ", " + rows);
        String[] range = bounds(p, nM);
        String lo = b.select(active, "i64", range[0], "0"), hi = b.select(active, "i64", range[1], "0");
        b.store("i64", lo, b.gep("i64", loA, r));
        b.store("i64", hi, b.gep("i64", hiA, r));
        String some = b.let("icmp slt i64 " + lo + ", " + hi);
        b.store("i64", b.select(some, "i64", min(b.load("i64", tileLoS), lo), b.load("i64", tileLoS)), tileLoS);
        b.store("i64", b.select(some, "i64", max(b.load("i64", tileHiS), hi), b.load("i64", tileHiS)), tileHiS);
        b.store("float", "0xFFF0000000000000", b.gep("float", maxA, r));
        b.store("float", "0.0", b.gep("float", sumA, r));
        String qrow = b.gep("float", qb, b.mul(b.select(active, "i64", p, "0"), nE));
        String qsCol = b.gep("float", qs, r);
        IrBuilder.Loop qe = b.open("qs.e", "0", nE);
        String qv = b.let("fmul float " + scale + ", " + b.load("float", b.gep("float", qrow, qe.index())));
        b.store("float", b.select(active, "float", qv, "0.0"), b.gep("float", qsCol, b.mul(qe.index(), Integer.toString(QS))));
        b.close(qe);
        b.close(rl);
        b.comment("per block of " + R2 + " rows: the hull of its rows' key ranges (rows that see no key left out)");
        for (int k = 0; k < BR / R2; k++) {
            String mn = nM, mx = "0";
            for (int r2 = 0; r2 < R2; r2++) {
                String row = Integer.toString(k * R2 + r2);
                String rlo = b.load("i64", b.gep("i64", loA, row)), rhi = b.load("i64", b.gep("i64", hiA, row));
                String sees = b.let("icmp slt i64 " + rlo + ", " + rhi);
                mn = b.select(sees, "i64", min(mn, rlo), mn);
                mx = b.select(sees, "i64", max(mx, rhi), mx);
            }
            b.store("i64", mn, b.gep("i64", blkLo, Integer.toString(k)));
            b.store("i64", mx, b.gep("i64", blkHi, Integer.toString(k)));
        }
        b.line("call void @llvm.memset.p0.i64(ptr " + acc + ", i8 0, i64 " + accBytes + ", i1 false)");

        String tLo = b.load("i64", tileLoS), tHi = b.load("i64", tileHiS);
        String any = b.let("icmp slt i64 " + tLo + ", " + tHi);
        String first = b.select(any, "i64", sdiv(tLo, Integer.toString(BC)), "0");
        String last = b.select(any, "i64", sdiv(b.add(tHi, Integer.toString(BC - 1)), Integer.toString(BC)), "0");
        IrBuilder.Loop kl = b.open("ktile", first, last);
        String m0 = b.mul(kl.index(), Integer.toString(BC));
        String m1 = b.add(m0, Integer.toString(BC));

        b.comment("which groups of " + VL + " rows see this key tile");
        for (int g = 0; g < BR / VL; g++) {
            String lov = b.load(I64V, b.gep("i64", loA, Integer.toString(g * VL)));
            String hiv = b.load(I64V, b.gep("i64", hiA, Integer.toString(g * VL)));
            String sees = b.let("and <16 x i1> " + b.let("and <16 x i1> " + b.let("icmp slt " + I64V + " " + lov + ", " + splat("i64", m1)) + ", "
                    + b.let("icmp sgt " + I64V + " " + hiv + ", " + splat("i64", m0))) + ", " + b.let("icmp slt " + I64V + " " + lov + ", " + hiv));
            String bits = b.let("bitcast <16 x i1> " + sees + " to i16");
            b.store("i8", b.let("zext i1 " + b.let("icmp ne i16 " + bits + ", 0") + " to i8"), b.gep("i8", flags, Integer.toString(g)));
        }

        b.comment("scores transposed (st[key][row]), blocks of " + 2 * VL + " rows x " + KB + " keys");
        String lastKey = b.sub(nM, "1");
        for (int half2 = 0; half2 < BR / (2 * VL); half2++) {
            // only the groups of keys some row of these 2 x 16 sees (the diagonal tile of causal
            // attention: half of them for the first half); the others stay stale in st, where the
            // masks of the per-lane step replace them
            String hLo = nM, hHi = "0";
            for (int k = half2 * 2 * VL / R2; k < (half2 + 1) * 2 * VL / R2; k++) {
                hLo = min(hLo, b.load("i64", b.gep("i64", blkLo, Integer.toString(k))));
                hHi = max(hHi, b.load("i64", b.gep("i64", blkHi, Integer.toString(k))));
            }
            String kgLo = sdiv(max(b.sub(hLo, m0), "0"), Integer.toString(KB));
            String kgHi = sdiv(b.add(min(b.sub(hHi, m0), Integer.toString(BC)), Integer.toString(KB - 1)), Integer.toString(KB));
            IrBuilder.Loop kg = b.open("kgroup", kgLo, kgHi);
            scores(qs, nE, kb, lastKey, b.add(m0, b.mul(kg.index(), Integer.toString(KB))), st, b.mul(kg.index(), Integer.toString(KB)), half2 * 2 * VL);
            b.close(kg);
        }

        b.comment("per group of " + VL + " rows: modification, masks, online softmax");
        for (int g = 0; g < BR / VL; g++) {
            String flag = b.load("i8", b.gep("i8", flags, Integer.toString(g)));
            String joinF = b.ifThen(b.let("icmp ne i8 " + flag + ", 0"));
            groupStep(g * VL, p0, m0, loA, hiA, st, maxA, sumA, corrA);
            b.endIf(joinF);
        }

        b.comment("the weighted sum of V, blocks of " + R2 + " rows");
        String jn = min(Integer.toString(BC), b.sub(tHi, m0));
        weighted(flags, blkLo, blkHi, m0, jn, vb, nF, fpad, acc, st, corrA);
        b.close(kl);

        b.comment("normalize and store the rows");
        IrBuilder.Loop ol = b.open("out", "0", rows);
        String orow = ol.index();
        String sum = b.load("float", b.gep("float", sumA, orow));
        String empty = switch (a.norm()) {
            case SOFTMAX -> b.let("fcmp oeq float " + sum + ", 0.0");
            case L1 -> b.let("icmp eq i64 " + b.load("i64", b.gep("i64", loA, orow)) + ", " + b.load("i64", b.gep("i64", hiA, orow)));
            case NONE -> "false";
        };
        String zeroRow = a.emptyIsNaN() ? "false" : empty;
        String accRow = b.gep("float", acc, b.mul(orow, fpad));
        String outRow = b.gep("float", ob, b.mul(b.add(p0, orow), nF));
        IrBuilder.Loop of = b.open("out.f", "0", nF);
        String v = b.load("float", b.gep("float", accRow, of.index()));
        if (a.norm() != AttentionMatch.Norm.NONE) v = b.select(zeroRow, "float", "0.0", b.let("fdiv float " + v + ", " + sum));
        b.store("float", v, b.gep("float", outRow, of.index()));
        b.close(of);
        b.close(ol);
        b.close(task);
        b.line("call void @free(ptr " + qsMem + ")");
        b.line("call void @free(ptr " + accMem + ")");
        b.line("ret void");
        return b.finish("define void @" + symbol + "(ptr noalias %tens, ptr noalias %ext, ptr noalias %par, i64 %lo, i64 %hi) #0");
    }

    /**
     * The scores of rows {@code r0..r0+32} against keys {@code mk..mk+KB} (K rows past the last
     * key read the last one; they are masked later), {@code 2 x KB} registers over e, then into
     * {@code st[key][row]} from key {@code j0} of the tile.
     */
    private void scores(String qs, String nE, String kb, String lastKey, String mk, String st, String j0, int r0) {
        String[] krow = new String[KB];
        for (int j = 0; j < KB; j++) krow[j] = b.gep("float", kb, b.mul(min(b.add(mk, Integer.toString(j)), lastKey), nE));
        String[][] s = new String[KB][2];
        for (int j = 0; j < KB; j++)
            for (int k = 0; k < 2; k++) {
                s[j][k] = b.alloca(V);
                b.store(V, "zeroinitializer", s[j][k]);
            }
        IrBuilder.Loop el = b.open("dot.e", "0", nE);
        String e = el.index();
        String qp = b.gep("float", qs, b.add(b.mul(e, Integer.toString(QS)), Integer.toString(r0)));
        String q0 = vload(qp), q1 = vload(b.gep("float", qp, "16"));
        for (int j = 0; j < KB; j++) {
            String kv = splat("float", b.load("float", b.gep("float", krow[j], e)));
            b.store(V, fma(q0, kv, b.load(V, s[j][0])), s[j][0]);
            b.store(V, fma(q1, kv, b.load(V, s[j][1])), s[j][1]);
        }
        b.close(el);
        for (int j = 0; j < KB; j++) {
            String at = b.gep("float", st, b.add(b.mul(b.add(j0, Integer.toString(j)), Integer.toString(BR)), Integer.toString(r0)));
            b.line("store " + V + " " + b.load(V, s[j][0]) + ", ptr " + at + ", align 64");
            b.line("store " + V + " " + b.load(V, s[j][1]) + ", ptr " + b.gep("float", at, "16") + ", align 64");
        }
    }

    /**
     * Rows {@code g0..g0+16} on one key tile, one vector of rows per key: the score modification and
     * masks, then the online softmax (running max and sum per lane, no horizontal reductions), or
     * the plain sums of l1 / no normalization; the weights go back into {@code st}, the corrections
     * of earlier accumulations into {@code corrA}.
     */
    private void groupStep(int g0, String p0, String m0, String loA, String hiA, String st, String maxA, String sumA, String corrA) {
        String g = Integer.toString(g0);
        String pv = b.let("add " + I64V + " " + splat("i64", b.add(p0, g)) + ", " + IOTA);
        String lov = b.load(I64V, b.gep("i64", loA, g)), hiv = b.load(I64V, b.gep("i64", hiA, g));
        String maxAt = b.gep("float", maxA, g), sumAt = b.gep("float", sumA, g), corrAt = b.gep("float", corrA, g);
        boolean softmax = a.norm() == AttentionMatch.Norm.SOFTMAX;
        String fill = softmax ? "splat (float 0xFFF0000000000000)" : "zeroinitializer";
        List<Expr> lane = a.mask().stream().filter(x -> AttentionMatch.isLaneMask(x, a.p(), a.m())).toList();
        // RU partial maxima, so that the maximum over the tile is RU chains, not one (sums are
        // reassociated by LLVM already: one chain).
        int ru = softmax ? RU : 1;
        String[] reds = new String[ru];
        for (int u = 0; u < ru; u++) {
            reds[u] = b.alloca(V);
            b.store(V, softmax ? fill : "zeroinitializer", reds[u]);
        }
        // Every row of the group sees the whole tile and no mask is tested per key: no masking at all.
        String inside = "false";
        if (lane.isEmpty()) {
            String all = b.let("and <16 x i1> " + b.let("icmp sle " + I64V + " " + lov + ", " + splat("i64", m0)) + ", "
                    + b.let("icmp sge " + I64V + " " + hiv + ", " + splat("i64", b.add(m0, Integer.toString(BC)))));
            inside = b.let("icmp eq i16 " + b.let("bitcast <16 x i1> " + all + " to i16") + ", -1");
        }
        for (boolean masked : new boolean[] {false, true}) {
            if (!masked && inside.equals("false")) continue;
            String join = b.ifThen(masked ? b.not(inside) : inside);
            IrBuilder.Loop jl = b.open(masked ? "mask.j" : "nomask.j", "0", Integer.toString(BC / ru));
            for (int u = 0; u < ru; u++) {
                String red = reds[u];
                String j = b.add(b.mul(jl.index(), Integer.toString(ru)), Integer.toString(u));
                String mj = b.add(m0, j);
                String at = b.gep("float", st, b.add(b.mul(j, Integer.toString(BR)), g));
                String x = b.let("load " + V + ", ptr " + at + ", align 64");
                if (softplusArg != null) {
                    if (!base2) x = b.let("fmul " + V + " " + new Lower("float", VL, pv, mj, x).number(softplusArg) + ", splat (float " + IrBuilder.f32(LOG2E) + ")");
                    x = b.let("call " + V + " @einc.sp2.v16(" + V + " " + x + ")");
                } else if (a.mod() != null) {
                    x = new Lower("float", VL, pv, mj, x).number(a.mod());
                }
                if (masked) {
                    String mv = splat("i64", mj);
                    String keep = b.let("and <16 x i1> " + b.let("icmp sle " + I64V + " " + lov + ", " + mv) + ", " + b.let("icmp sgt " + I64V + " " + hiv + ", " + mv));
                    for (Expr cond : lane) {
                        Lower l = new Lower("double", VL, pv, mj, null);
                        keep = b.let("and <16 x i1> " + keep + ", " + l.cond(l.lower(cond)));
                    }
                    x = b.let("select <16 x i1> " + keep + ", " + V + " " + x + ", " + V + " " + fill);
                }
                if (masked || a.mod() != null) b.line("store " + V + " " + x + ", ptr " + at + ", align 64");
                if (a.norm() != AttentionMatch.Norm.NONE)
                    b.store(V, softmax ? vmax(x, b.load(V, red)) : b.let("fadd " + IrBuilder.FM + " " + V + " " + b.load(V, red) + ", " + x), red);
            }
            b.close(jl);
            b.endIf(join);
        }
        String red = b.alloca(V);
        String r01 = b.load(V, reds[0]);
        for (int u = 1; u < ru; u++) r01 = softmax ? vmax(b.load(V, reds[u]), r01) : b.let("fadd " + IrBuilder.FM + " " + V + " " + r01 + ", " + b.load(V, reds[u]));
        b.store(V, r01, red);
        if (!softmax) {
            if (a.norm() == AttentionMatch.Norm.L1)
                b.line("store " + V + " " + b.let("fadd " + V + " " + b.let("load " + V + ", ptr " + sumAt + ", align 64") + ", " + b.load(V, red)) + ", ptr " + sumAt + ", align 64");
            b.line("store " + V + " splat (float 1.0), ptr " + corrAt + ", align 64");
            return;
        }
        String old = b.let("load " + V + ", ptr " + maxAt + ", align 64");
        String mx = call(V, "llvm.maxnum.v16f32", old, b.load(V, red));
        String none = b.let("fcmp oeq " + V + " " + mx + ", splat (float 0xFFF0000000000000)");
        String mxs = b.let("select <16 x i1> " + none + ", " + V + " zeroinitializer, " + V + " " + mx);
        String exp = base2 ? "@einc.exp2neg.v16" : "@einc.expneg.v16";
        String corr = b.let("call " + V + " " + exp + "(" + V + " " + b.let("fsub " + V + " " + old + ", " + mxs) + ")");
        b.store(V, "zeroinitializer", red);
        IrBuilder.Loop el = b.open("exp.j", "0", Integer.toString(BC));
        String at2 = b.gep("float", st, b.add(b.mul(el.index(), Integer.toString(BR)), g));
        String w = b.let("call " + V + " " + exp + "(" + V + " " + b.let("fsub " + IrBuilder.FM + " " + V + " "
                + b.let("load " + V + ", ptr " + at2 + ", align 64") + ", " + mxs) + ")");
        b.line("store " + V + " " + w + ", ptr " + at2 + ", align 64");
        b.store(V, b.let("fadd " + IrBuilder.FM + " " + V + " " + b.load(V, red) + ", " + w), red);
        b.close(el);
        String sum = b.let("call " + V + " @llvm.fma.v16f32(" + V + " " + b.let("load " + V + ", ptr " + sumAt + ", align 64") + ", " + V + " " + corr + ", " + V + " " + b.load(V, red) + ")");
        b.line("store " + V + " " + sum + ", ptr " + sumAt + ", align 64");
        b.line("store " + V + " " + mx + ", ptr " + maxAt + ", align 64");
        b.line("store " + V + " " + corr + ", ptr " + corrAt + ", align 64");
    }

    /**
     * {@code x > y ? x : y}: the maximum when neither is NaN, {@code y} when {@code x} is (as
     * {@code maxnum} when {@code y} is not NaN), one {@code vmaxps} where {@code maxnum} takes three.
     */
    private String vmax(String x, String y) {
        String gt = b.let("fcmp ogt " + V + " " + x + ", " + y);
        return b.let("select <16 x i1> " + gt + ", " + V + " " + x + ", " + V + " " + y);
    }

    private String reduceAdd(String v) {
        decls.add("declare float @llvm.vector.reduce.fadd.v16f32(float, <16 x float>)");
        return b.let("call reassoc float @llvm.vector.reduce.fadd.v16f32(float 0.0, " + V + " " + v + ")");
    }

    /**
     * {@code acc[r] = acc[r] * corr[r] + sum_j st[r][j] * V[m0 + j]} for the rows that see the
     * tile: chunks of {@link #FC} vectors of columns outside (then single vectors with a lane mask),
     * blocks of {@link #R2} rows inside, so that a chunk of the V tile ({@link #BC} keys x
     * {@code FC} vectors, 16 KiB) is read from L2 once and from L1 by every block of rows.
     */
    private void weighted(String flags, String blkLo, String blkHi, String m0, String jn, String vb, String nF, String fpad, String acc, String st, String corrA) {
        String chunks = sdiv(nF, Integer.toString(FC * VL));
        IrBuilder.Loop cl = b.open("fchunk", "0", chunks);
        String f0 = b.mul(cl.index(), Integer.toString(FC * VL));
        rowBlocks(FC, f0, null, flags, blkLo, blkHi, m0, jn, vb, nF, fpad, acc, st, corrA);
        b.close(cl);
        IrBuilder.Loop tl = b.open("ftail", b.mul(chunks, Integer.toString(FC)), sdiv(b.add(nF, Integer.toString(VL - 1)), Integer.toString(VL)));
        String g0 = b.mul(tl.index(), Integer.toString(VL));
        String mask = b.let("icmp slt " + I64V + " " + b.let("add " + I64V + " " + splat("i64", g0) + ", " + IOTA) + ", " + splat("i64", nF));
        rowBlocks(1, g0, mask, flags, blkLo, blkHi, m0, jn, vb, nF, fpad, acc, st, corrA);
        b.close(tl);
    }

    /** The blocks of {@link #R2} rows (those whose group of rows sees the tile) on {@code n} vectors of columns from {@code f0}. */
    private void rowBlocks(int n, String f0, String mask, String flags, String blkLo, String blkHi, String m0, String jn, String vb, String nF,
                           String fpad, String acc, String st, String corrA) {
        IrBuilder.Loop vl = b.open("vblock", "0", Integer.toString(BR / R2));
        String rb2 = b.mul(vl.index(), Integer.toString(R2));
        String flag2 = b.load("i8", b.gep("i8", flags, sdiv(rb2, Integer.toString(VL))));
        // the keys of the tile some row of the block sees: outside them every weight of the block is 0
        String jlo = max(b.sub(b.load("i64", b.gep("i64", blkLo, vl.index())), m0), "0");
        String jhi = min(b.sub(b.load("i64", b.gep("i64", blkHi, vl.index())), m0), jn);
        String joinV = b.ifThen(b.and(b.let("icmp ne i8 " + flag2 + ", 0"), b.let("icmp slt i64 " + jlo + ", " + jhi)));
        String[] corr = new String[R2];
        String[] accRow = new String[R2];
        String[] wRow = new String[R2];
        for (int r = 0; r < R2; r++) {
            String row = b.add(rb2, Integer.toString(r));
            corr[r] = splat("float", b.load("float", b.gep("float", corrA, row)));
            accRow[r] = b.gep("float", acc, b.mul(row, fpad));
            wRow[r] = b.gep("float", st, row);
        }
        block(n, f0, mask, m0, jlo, jhi, vb, nF, corr, accRow, wRow);
        b.endIf(joinV);
        b.close(vl);
    }

    /** {@code R2} rows x {@code n} vectors of columns from {@code f0}; V loads under {@code mask} when not null. */
    private void block(int n, String f0, String mask, String m0, String jlo, String jhi, String vb, String nF,
                       String[] corr, String[] accRow, String[] wRow) {
        String[][] acc = new String[R2][n];
        for (int r = 0; r < R2; r++)
            for (int k = 0; k < n; k++) {
                acc[r][k] = b.alloca(V);
                String at = b.gep("float", accRow[r], b.add(f0, Integer.toString(k * VL)));
                b.store(V, b.let("fmul " + IrBuilder.FM + " " + V + " " + vload(at) + ", " + corr[r]), acc[r][k]);
            }
        IrBuilder.Loop jl = b.open("pv.j", jlo, jhi);
        String j = jl.index();
        String vrow = b.gep("float", vb, b.add(b.mul(b.add(m0, j), nF), f0));
        String[] v = new String[n];
        for (int k = 0; k < n; k++) {
            String at = b.gep("float", vrow, Integer.toString(k * VL));
            if (mask == null) {
                v[k] = vload(at);
            } else {
                decls.add("declare <16 x float> @llvm.masked.load.v16f32.p0(ptr, i32, <16 x i1>, <16 x float>)");
                v[k] = b.let("call " + V + " @llvm.masked.load.v16f32.p0(ptr " + at + ", i32 4, <16 x i1> " + mask + ", " + V + " zeroinitializer)");
            }
        }
        for (int r = 0; r < R2; r++) {
            String w = splat("float", b.load("float", b.gep("float", wRow[r], b.mul(j, Integer.toString(BR)))));
            for (int k = 0; k < n; k++) b.store(V, fma(w, v[k], b.load(V, acc[r][k])), acc[r][k]);
        }
        b.close(jl);
        for (int r = 0; r < R2; r++)
            for (int k = 0; k < n; k++) vstore(b.load(V, acc[r][k]), b.gep("float", accRow[r], b.add(f0, Integer.toString(k * VL))));
    }

    /** The key range {@code [lo, hi)} (clamped to {@code [0, M]}) that the bounds give row {@code p}. */
    private String[] bounds(String p, String nM) {
        String lo = "0", hi = nM;
        Lower l = new Lower("double", 1, p, null, null);
        for (Expr x : a.mask()) {
            Bounds bd = Bounds.of(x, a.p(), a.m());
            if (bd == null) {
                Bounds.Target tg = Bounds.target(x, a.m());
                if (tg == null) continue;
                String[] r = bound(tg.op(), l.number(tg.t()), lo, hi);
                lo = r[0];
                hi = r[1];
                continue;
            }
            String pd = b.let("sitofp i64 " + p + " to double");
            String lin = b.let("fmul double " + f64(bd.cp()) + ", " + pd);
            if (bd.c0() != null) lin = b.let("fadd double " + lin + ", " + l.number(bd.c0()));
            if (bd.cm() == 0) {
                String pred = IrBuilder.fcmp(bd.op());
                String holds = b.let("fcmp " + pred + " double " + lin + ", 0.0");
                hi = b.select(holds, "i64", hi, lo);
                continue;
            }
            String[] r = bound(bd.op(), b.let("fneg double " + lin), lo, hi);
            lo = r[0];
            hi = r[1];
        }
        return new String[] {lo, max(lo, hi)};
    }

    /** Tightens {@code [lo, hi)} by {@code m OP t}, {@code t} a double. */
    private String[] bound(Expr.Op op, String t, String lo, String hi) {
        String clamped = call("double", "llvm.maxnum.f64", call("double", "llvm.minnum.f64", t, "0x4270000000000000"), "0xC270000000000000");
        String fl = b.add(b.let("fptosi double " + call("double", "llvm.floor.f64", clamped) + " to i64"), "1");
        String ce = b.let("fptosi double " + call("double", "llvm.ceil.f64", clamped) + " to i64");
        switch (op) {
            case LE -> hi = min(hi, fl);
            case LT -> hi = min(hi, ce);
            case GE -> lo = max(lo, ce);
            case GT -> lo = max(lo, fl);
            case EQ -> {
                lo = max(lo, ce);
                hi = min(hi, fl);
            }
            default -> {}
        }
        return new String[] {lo, hi};
    }

    private static final double LOG2E = 1.4426950408889634;

    private static String f64(double v) {
        return String.format("0x%016X", Double.doubleToRawLongBits(v));
    }

    /**
     * Lowers an expression of the score modification or the masks: in {@code float} (the
     * modification, with the inlined vector math) or {@code double} (masks, as the reference
     * evaluates them), on one lane or {@link #VL} (one query row per lane); {@code p} the query row
     * (i64, or {@code <16 x i64>} on {@link #VL} lanes), {@code m} the key (i64) or null,
     * {@code score} the incoming scores or null.
     */
    private final class Lower {
        final String ty;
        final int width;
        final String p, m, score;

        Lower(String ty, int width, String p, String m, String score) {
            this.ty = ty;
            this.width = width;
            this.p = p;
            this.m = m;
            this.score = score;
        }

        record Val(String v, boolean cond) {}

        String fty() {
            return width == 1 ? ty : "<16 x " + ty + ">";
        }

        String cty() {
            return width == 1 ? "i1" : "<16 x i1>";
        }

        String suffix() {
            String s = ty.equals("float") ? "f32" : "f64";
            return width == 1 ? s : "v16" + s;
        }

        private String scalarConst(double v) {
            return ty.equals("float") ? IrBuilder.f32(v) : f64(v);
        }

        private String constant(double v) {
            String s = scalarConst(v);
            return width == 1 ? s : "splat (" + ty + " " + s + ")";
        }

        /** A uniform scalar (float or double, as {@code from} says) in this form. */
        private String uniform(String v, String from) {
            String x = v;
            if (!from.equals(ty)) x = b.let((ty.equals("double") ? "fpext " : "fptrunc ") + from + " " + v + " to " + ty);
            return width == 1 ? x : splat(ty, x);
        }

        private String fm() {
            return ty.equals("float") ? IrBuilder.FM + " " : "";
        }

        String number(Expr e) {
            return num(lower(e));
        }

        String num(Val v) {
            return v.cond() ? b.let("uitofp " + cty() + " " + v.v() + " to " + fty()) : v.v();
        }

        String cond(Val v) {
            return v.cond() ? v.v() : b.let("fcmp une " + fty() + " " + v.v() + ", " + (width == 1 ? "0.0" : "zeroinitializer"));
        }

        Val lower(Expr e) {
            return switch (e) {
                case Expr.Const(double x) -> new Val(constant(x), false);
                case Expr.ParamRef(String n) -> new Val(uniform(par.get(n), "float"), false);
                case Expr.ExtentRef(String ix) -> new Val(uniform(b.let("sitofp i64 " + ext.get(ix) + " to double"), "double"), false);
                case Expr.IndexValue(String ix) when ix.equals(a.p()) && width == VL ->
                        new Val(b.let("sitofp " + I64V + " " + p + " to " + fty()), false);
                case Expr.IndexValue(String ix) -> {
                    String v = ix.equals(a.p()) ? p : ix.equals(a.m()) ? m : env.get(ix);
                    if (v == null) throw new IllegalStateException("index '" + ix + "' has no value in the fused kernel");
                    yield new Val(uniform(b.let("sitofp i64 " + v + " to double"), "double"), false);
                }
                case Expr.Access acc when acc == AttentionMatch.SCORE -> new Val(score, false);
                case Expr.Access acc -> {
                    String off = batchOffset(acc, acc.indices().size());
                    yield new Val(uniform(b.load("float", b.gep("float", data.get(acc.tensor()), off)), "float"), false);
                }
                case Expr.Unary(Expr.Fn fn, Expr x) when fn == Expr.Fn.NOT -> {
                    String cv = cond(lower(x));
                    yield new Val(b.let("xor " + cty() + " " + cv + ", " + (width == 1 ? "true" : "splat (i1 true)")), true);
                }
                case Expr.Unary(Expr.Fn fn, Expr x) -> new Val(unary(fn, number(x)), false);
                case Expr.Binary(Expr.Op op, Expr x, Expr y) when op.isLogic() -> {
                    String l = cond(lower(x)), r = cond(lower(y));
                    yield new Val(b.let((op == Expr.Op.AND ? "and " : "or ") + cty() + " " + l + ", " + r), true);
                }
                case Expr.Binary(Expr.Op op, Expr x, Expr y) when op.isComparison() -> {
                    String l = number(x), r = number(y);
                    String pred = IrBuilder.fcmp(op);
                    yield new Val(b.let("fcmp " + pred + " " + fty() + " " + l + ", " + r), true);
                }
                case Expr.Binary(Expr.Op op, Expr x, Expr y) -> {
                    String l = number(x), r = number(y);
                    String t = fty();
                    yield new Val(switch (op) {
                        case ADD -> b.let("fadd " + fm() + t + " " + l + ", " + r);
                        case SUB -> b.let("fsub " + fm() + t + " " + l + ", " + r);
                        case MUL -> b.let("fmul " + fm() + t + " " + l + ", " + r);
                        case DIV -> b.let("fdiv " + fm() + t + " " + l + ", " + r);
                        case MIN -> call(t, "llvm.minimum." + suffix(), l, r); // NaN-propagating, as the interpreter
                        case MAX -> call(t, "llvm.maximum." + suffix(), l, r);
                        case POW -> call(t, "llvm.pow." + suffix(), l, r);
                        default -> throw new AssertionError(op);
                    }, false);
                }
                case Expr.Select(Expr cnd, Expr x, Expr y) -> {
                    String cv = cond(lower(cnd)), xv = number(x), yv = number(y);
                    yield new Val(b.let("select " + cty() + " " + cv + ", " + fty() + " " + xv + ", " + fty() + " " + yv), false);
                }
            };
        }

        private String unary(Expr.Fn fn, String v) {
            String t = fty();
            boolean fast = ty.equals("float") && width == VL;
            String zero = width == 1 ? "0.0" : "zeroinitializer";
            String one = constant(1);
            return switch (fn) {
                case NEG -> b.let("fneg " + t + " " + v);
                case EXP -> fast ? b.let("call " + V + " @einc.exp.v16(" + V + " " + v + ")") : call(t, "llvm.exp." + suffix(), v);
                case LOG -> call(t, "llvm.log." + suffix(), v);
                case SQRT -> call(t, "llvm.sqrt." + suffix(), v);
                case RSQRT -> b.let("fdiv " + t + " " + one + ", " + call(t, "llvm.sqrt." + suffix(), v)); // exact: no estimate, NaN-free at 0 and inf
                case TANH -> fast ? b.let("call " + V + " @einc.tanh.v16(" + V + " " + v + ")") : call(t, "llvm.tanh." + suffix(), v);
                case ABS -> call(t, "llvm.fabs." + suffix(), v);
                case SIGMOID -> fast ? b.let("call " + V + " @einc.sigmoid.v16(" + V + " " + v + ")")
                        : b.let("fdiv " + t + " " + one + ", " + b.let("fadd " + t + " " + one + ", " + call(t, "llvm.exp." + suffix(), b.let("fneg " + t + " " + v))));
                case SOFTPLUS -> fast ? b.let("call " + V + " @einc.softplus.v16(" + V + " " + v + ")")
                        : b.let("fadd " + t + " " + call(t, "llvm.maxnum." + suffix(), v, zero) + ", " + call(t, "llvm.log." + suffix(),
                        b.let("fadd " + t + " " + one + ", " + call(t, "llvm.exp." + suffix(), b.let("fneg " + t + " " + call(t, "llvm.fabs." + suffix(), v))))));
                case RELU -> call(t, "llvm.maximum." + suffix(), v, zero); // NaN stays NaN, as the interpreter's Math.max
                case ELU -> b.let("select " + cty() + " " + b.let("fcmp ogt " + t + " " + v + ", " + zero) + ", " + t + " " + v + ", " + t + " "
                        + b.let("fsub " + t + " " + call(t, "llvm.exp." + suffix(), v) + ", " + one));
                case SIGN -> {
                    String neg = b.let("select " + cty() + " " + b.let("fcmp olt " + t + " " + v + ", " + zero) + ", " + t + " " + constant(-1) + ", " + t + " " + v);
                    yield b.let("select " + cty() + " " + b.let("fcmp ogt " + t + " " + v + ", " + zero) + ", " + t + " " + one + ", " + t + " " + neg);
                }
                case NOT -> throw new AssertionError("handled by lower");
            };
        }
    }
}
