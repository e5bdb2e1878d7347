package einc.codegen.jvm;

import einc.optimizer.attention.AttentionMatch;
import einc.runtime.Chunks;
import einc.runtime.CompiledCascade;
import einc.runtime.Launch;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused attention loop nest, flash style: per slice (batch point), K is transposed once,
 * then blocks of {@link #R} query rows sweep the key range allowed by the mask in tiles of
 * {@link #BC} keys with an online softmax (for l1 or no normalization, plain running sums);
 * scores and probabilities stay in registers and a small scratch tile, only the output goes to
 * memory. {@link AttentionEmitter} copies this class's
 * bytecode under a new name and replaces the hook methods (marked below) with code generated from
 * the cascade: its geometry, scale, mask bounds, score modification and normalization.
 */
public final class AttentionTemplate implements CompiledCascade {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int VL = SPECIES.length();
    /** Keys per tile: four vectors. */
    static final int BC = 4 * VL;
    /** Lane numbers 0, 1, ... as floats: key positions within a vector. */
    static final FloatVector IOTA = FloatVector.zero(SPECIES).addIndex(1);
    /**
     * {@code -0}: {@code NZ.add(x)} is {@code x} in every lane (NaN and -0 included), with a
     * receiver whose class C2 knows while parsing. See {@link #scores} on why vectors that come
     * out of a loop or an if are re-typed through it before a method is called on them.
     */
    static final FloatVector NZ = FloatVector.broadcast(SPECIES, -0f);
    /** Query rows per block. */
    static final int R = 4;
    /**
     * Query rows per tile (a multiple of R): the key tile stays in cache while they use it. 128
     * measured 1.02-1.03x over 64 (1 thread, N=2048 and 4096; 32 was 0.97x): each K and V tile is
     * fetched from L2 half as often, which matters more than keeping the rows' scratch in L1.
     */
    static final int BR = 128;
    /** Geometry slots filled by {@link #geometry}. */
    static final int P = 0, M = 1, E = 2, F = 3, QB = 4, KB = 5, VB = 6, OB = 7, QS = 8, KS = 9, VS = 10, OS = 11, BATCH = 12;

    public AttentionTemplate() {}

    // ---- hooks: replaced by generated code

    /** Hook: default parameter values. */
    @Override
    public void defaults(int[] extents, double[] params, boolean[] given) {}

    /** Hook: the number of batch points (product of the batch extents). */
    static int batches(int[] extents) {
        return 1;
    }

    /** Hook: the number of query rows (the extent of p). */
    static int queries(int[] extents) {
        return 1;
    }

    /** Hook: fills {@code g} (P, M, E, F, bases, slots, batch values) for batch point {@code s}. */
    static void geometry(Launch l, int s, int[] g) {}

    /** Hook: the factor of the dot product. */
    static float scale(Launch l, int[] g) {
        return 1f;
    }

    /** Hook: whether scores go through {@link #mod}. */
    static boolean hasMod() {
        return false;
    }

    /** Hook: the score modification, on {@code VL} keys starting at {@code m} of query row {@code p}. */
    static FloatVector mod(FloatVector s, int p, int m, Launch l, int[] g) {
        return s;
    }

    /** Hook: the first key row {@code p} sees (before clamping to 0). */
    static int lo(int p, Launch l, int[] g) {
        return 0;
    }

    /** Hook: one past the last key row {@code p} sees (before clamping to M). */
    static int hi(int p, Launch l, int[] g) {
        return Integer.MAX_VALUE;
    }

    /** Hook: whether some mask is tested per key by {@link #keep} (beyond the bounds {@link #lo} and {@link #hi}). */
    static boolean hasKeep() {
        return false;
    }

    /** Hook: whether key {@code m} is present for query row {@code p} under the masks that are not bounds. */
    static boolean keep(int p, int m, Launch l, int[] g) {
        return true;
    }

    /** Hook: an empty row gives NaN (0 / 0, normalization after the sum) rather than 0. */
    static boolean emptyIsNaN() {
        return false;
    }

    /** Hook: the normalization, {@link AttentionMatch.Norm}'s ordinal: softmax, l1 or none. */
    static int norm() {
        return SOFTMAX;
    }

    /** A softmax with no score modification and no per-key mask: scores go straight to exp. */
    private static boolean plain() {
        return norm() == SOFTMAX && !hasMod() && !hasKeep();
    }

    /**
     * log2(e): a plain softmax's scores are computed in base 2 (Q is scaled by it as well), so
     * that its exponentials are 2^(s - max) with no multiplication; the weights are the same.
     */
    static final float LOG2E = 1.44269504f;

    /** The correction of earlier accumulations when a row's running max rises from {@code old} to {@code max}. */
    private static float rescale(float old, float max) {
        return (float) (plain() ? Math.exp((old - (double) max) * 0.6931471805599453) : Math.exp(old - max));
    }

    /** Codes of {@link #norm}. */
    static final int SOFTMAX = 0, L1 = 1, NONE = 2;

    // ---- lane-wise functions the vector operators lack (score modifications call them)

    /** {@code 1 / (1 + exp(-x))}. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        return one.div(one.add(x.neg().lanewise(VectorOperators.EXP)));
    }

    /** {@code max(x, 0) + log1p(exp(-|x|))}, which does not overflow. */
    static FloatVector softplus(FloatVector x) {
        return x.max(0f).add(x.abs().neg().lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P));
    }

    /** {@code max(x, 0)}. */
    static FloatVector relu(FloatVector x) {
        return x.max(0f);
    }

    // ---- the loop nest

    /**
     * Into how many units the query tiles of one batch point are dealt: {@link Chunks#PER_THREAD}
     * per thread of the pool, so that each chunk {@code Chunks} runs is one unit and a thread the
     * OS or a shared machine holds up leaves its unstarted units to the others. Unit {@code u}
     * takes tiles u, u + units, ..., so that under a causal mask the units get about the same
     * number of keys. One without a pool.
     */
    static int units(int queries, java.util.concurrent.ForkJoinPool pool) {
        int tiles = (queries + BR - 1) / BR;
        return pool == null ? 1 : Math.max(1, Math.min(tiles, Chunks.PER_THREAD * pool.getParallelism()));
    }

    /** One slice per batch point: it transposes K once, then its query tiles run as units on the pool ({@link #chunk}). */
    @Override
    public int slices(int[] extents) {
        return batches(extents);
    }

    @Override
    public void slice(Launch l, int s) {
        int[] g = new int[BATCH + 8];
        geometry(l, s, g);
        int nM = g[M], nE = g[E], nF = g[F];
        float[] k = l.tensors[g[KS]], v = l.tensors[g[VS]];
        int kb = g[KB], vb = g[VB];
        int tiles = (nM + BC - 1) / BC;
        float[] kt = transposedK(tiles * nE * BC);
        // K transposed by key tiles: tile t holds kt[t*E*BC + e*BC + j] = K[t*BC + j, e], zero past M.
        for (int m = 0; m < nM; m++) {
            int at = (m / BC) * nE * BC + m % BC;
            for (int e = 0; e < nE; e++) kt[at + e * BC] = k[kb + m * nE + e];
        }
        for (int m = nM; m < tiles * BC; m++) {
            int at = (m / BC) * nE * BC + m % BC;
            for (int e = 0; e < nE; e++) kt[at + e * BC] = 0f;
        }
        int units = units(g[P], l.pool);
        Chunks.run(l, this, 0, new Object[] {l, g, kt, units}, units);
        spareK.offer(kt);
    }

    /** Units {@code lo} to {@code hi} of the slice whose launch, geometry, transposed K and unit count are {@code frame}. */
    @Override
    public void chunk(int nest, Object[] frame, int lo, int hi) {
        Launch l = (Launch) frame[0];
        int[] g = (int[]) frame[1];
        float[] kt = (float[]) frame[2];
        int units = (Integer) frame[3];
        for (int u = lo; u < hi; u++) unit(l, g, kt, u, units);
    }

    /** Query tiles {@code part}, {@code part + parts}, ... of the batch point of {@code g}, against its transposed K. */
    private void unit(Launch l, int[] g, float[] kt, int part, int parts) {
        int nP = g[P], nM = g[M], nE = g[E], nF = g[F];
        float[] q = l.tensors[g[QS]], v = l.tensors[g[VS]], o = l.tensors[g[OS]];
        int qb = g[QB], vb = g[VB], ob = g[OB];
        float scale = plain() ? scale(l, g) * LOG2E : scale(l, g);
        Object[] sc = scratch(BR * nE, BR * nF);
        float[] qs = (float[]) sc[S_Q], acc = (float[]) sc[S_ACC];
        float[] pt = (float[]) sc[S_PT], st = (float[]) sc[S_ST], sumv = (float[]) sc[S_SUMV];
        float[] rowMax = (float[]) sc[S_ROWMAX], rowSum = (float[]) sc[S_ROWSUM], corr = (float[]) sc[S_CORR];
        boolean[] active = (boolean[]) sc[S_ACTIVE], km = (boolean[]) sc[S_KM];
        int[] lo = (int[]) sc[S_LO], hi = (int[]) sc[S_HI];
        // Query tiles of BR rows: each key tile is used by all BR rows while it is in cache.
        for (int p0 = part * BR; p0 < nP; p0 += parts * BR) {
            int rows = Math.min(BR, nP - p0);
            int tileLo = Integer.MAX_VALUE, tileHi = Integer.MIN_VALUE;
            for (int r = 0; r < BR; r++) {
                if (r < rows) {
                    lo[r] = Math.max(0, lo(p0 + r, l, g));
                    hi[r] = Math.min(nM, hi(p0 + r, l, g));
                    if (hi[r] < lo[r]) hi[r] = lo[r];
                } else {
                    lo[r] = 0;
                    hi[r] = 0;
                }
                if (hi[r] > lo[r]) {
                    tileLo = Math.min(tileLo, lo[r]);
                    tileHi = Math.max(tileHi, hi[r]);
                }
                rowMax[r] = Float.NEGATIVE_INFINITY;
                rowSum[r] = 0f;
                for (int j = 0; j < VL; j++) sumv[r * VL + j] = 0f;
                // In vectors: C2 left this loop scalar (q and qs could be one array), with spills,
                // and with the output loop below it was 5% of the kernel's time at N=1024.
                if (r < rows) {
                    int from = qb + (p0 + r) * nE, e = 0;
                    for (; e + VL <= nE; e += VL) FloatVector.fromArray(SPECIES, q, from + e).mul(scale).intoArray(qs, r * nE + e);
                    for (; e < nE; e++) qs[r * nE + e] = scale * q[from + e];
                } else {
                    java.util.Arrays.fill(qs, r * nE, r * nE + nE, 0f);
                }
            }
            java.util.Arrays.fill(acc, 0, BR * nF, 0f);
            for (int m0 = tileLo < tileHi ? tileLo / BC * BC : tileHi; m0 < tileHi; m0 += BC) {
                // All row blocks' probabilities first, then all their weighted sums: K's tile stays
                // in L1 for the first loop, V's for the second.
                for (int rb = 0; rb < rows; rb += R) {
                    // Skip row blocks the mask keeps entirely off this key tile.
                    boolean any = false;
                    for (int r = rb; r < rb + R; r++) any |= lo[r] < m0 + BC && hi[r] > m0 && hi[r] > lo[r];
                    active[rb / R] = any;
                    if (!any) continue;
                    int kAt = m0 / BC * nE * BC;
                    if (nE == 64) scores64(kt, kAt, qs, rb * nE, nE, st, rowMax, rb);
                    else if (nE == 128) scores128(kt, kAt, qs, rb * nE, nE, st, rowMax, rb);
                    else scores(kt, kAt, qs, rb * nE, nE, st, rowMax, rb);
                    rows(rb, p0, m0, st, lo, hi, rowMax, rowSum, sumv, corr, pt, km, l, g);
                }
                int jn = Math.min(BC, tileHi - m0);
                for (int rb = 0; rb < rows; rb += R) {
                    if (!active[rb / R]) continue;
                    if (jn == BC) accumulateFull(acc, rb * nF, pt, rb * BC, corr, rb, v, vb + m0 * nF, jn, nF);
                    else accumulate(acc, rb * nF, pt, rb * BC, corr, rb, v, vb + m0 * nF, jn, nF);
                }
            }
            boolean nan = emptyIsNaN();
            int norm = norm();
            for (int r = 0; r < rows; r++) {
                if (norm == SOFTMAX) rowSum[r] = FloatVector.fromArray(SPECIES, sumv, r * VL).reduceLanes(VectorOperators.ADD);
                float sum = rowSum[r];
                int out = ob + (p0 + r) * nF;
                if (norm == NONE) {
                    System.arraycopy(acc, r * nF, o, out, nF);
                } else if ((norm == SOFTMAX ? sum == 0f : hi[r] == lo[r]) && !nan) {
                    for (int f = 0; f < nF; f++) o[out + f] = 0f;
                } else {
                    // 0 / 0 is NaN and x / 0 infinite, as written; otherwise one division a row.
                    float inv = 1f / sum;
                    int from = r * nF;
                    if (sum == 0f) {
                        for (int f = 0; f < nF; f++) o[out + f] = acc[from + f] / sum;
                    } else {
                        int f = 0;
                        for (; f + VL <= nF; f += VL) FloatVector.fromArray(SPECIES, acc, from + f).mul(inv).intoArray(o, out + f);
                        for (; f < nF; f++) o[out + f] = acc[from + f] * inv;
                    }
                }
            }
        }
        spare.offer(sc);
    }

    // ---- scratch kept between slices and calls

    /**
     * Scratch of finished units (an {@code Object[]} of arrays at the slots below) and of finished
     * slices (the transposed K), taken again by later ones: one set per unit or slice running at a
     * time, kept for the kernel's life. Fresh arrays for every slice (5 MB per call at N=1024)
     * made young GCs, and after a GC that handed out heap regions the process had not yet
     * touched, every call page-faulted all of its scratch (a minor fault per 4 KB page, ~1250 per
     * call) and ran about 2x slower for the JVM's life or until the next GC: that was the
     * kernel's bimodality across JVM forks (docs/ARCHITECTURE.md). Reused, nothing per call is
     * allocated but a few small objects.
     */
    private final java.util.concurrent.ConcurrentLinkedQueue<Object[]> spare = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.ConcurrentLinkedQueue<float[]> spareK = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Slots of a unit's scratch set. */
    static final int S_Q = 0, S_ACC = 1, S_PT = 2, S_ST = 3, S_SUMV = 4, S_ROWMAX = 5, S_ROWSUM = 6, S_CORR = 7,
            S_ACTIVE = 8, S_KM = 9, S_LO = 10, S_HI = 11, SLOTS = 12;

    /** A unit's scratch set whose Q and accumulator arrays hold at least the given lengths (those that do not are replaced). */
    private Object[] scratch(int qs, int acc) {
        Object[] s = spare.poll();
        if (s == null) {
            s = new Object[SLOTS];
            s[S_PT] = new float[BR * BC];
            s[S_ST] = new float[R * BC + R];
            s[S_SUMV] = new float[BR * VL];
            s[S_ROWMAX] = new float[BR];
            s[S_ROWSUM] = new float[BR];
            s[S_CORR] = new float[BR];
            s[S_ACTIVE] = new boolean[BR / R];
            s[S_KM] = new boolean[BC];
            s[S_LO] = new int[BR];
            s[S_HI] = new int[BR];
        }
        if (s[S_Q] == null || ((float[]) s[S_Q]).length < qs) s[S_Q] = new float[qs];
        if (s[S_ACC] == null || ((float[]) s[S_ACC]).length < acc) s[S_ACC] = new float[acc];
        return s;
    }

    /** An array for a slice's transposed K, at least {@code length} long. */
    private float[] transposedK(int length) {
        float[] s = spareK.poll();
        return s != null && s.length >= length ? s : new float[length];
    }

    // ---- copies of the inner loops with a fixed trip count: AttentionEmitter replaces each body
    // by the named method's code with the parameter fixed, so that C2 compiles a counted loop of
    // known length (unrolled, without the safepoint strip-mining of an unknown one).

    /** {@link #scores} with {@code nE} fixed at 64 (in the emitted class). */
    private static void scores64(float[] kt, int base, float[] qs, int q0at, int nE, float[] st, float[] rowMax, int r0) {
        scores(kt, base, qs, q0at, nE, st, rowMax, r0);
    }

    /** {@link #scores} with {@code nE} fixed at 128 (in the emitted class). */
    private static void scores128(float[] kt, int base, float[] qs, int q0at, int nE, float[] st, float[] rowMax, int r0) {
        scores(kt, base, qs, q0at, nE, st, rowMax, r0);
    }

    /** {@link #accumulate} with {@code jn} fixed at {@link #BC}, a whole key tile (in the emitted class). */
    private static void accumulateFull(float[] acc, int a0, float[] pt, int ptAt, float[] corr, int c,
                                       float[] v, int vAt, int jn, int nF) {
        accumulate(acc, a0, pt, ptAt, corr, c, v, vAt, jn, nF);
    }

    /**
     * The scores of R query rows ({@code qs} from {@code q0at}) against one key tile (its transposed
     * K from {@code base}), in registers, then into {@code st}. A method of its own so that
     * the JIT compiles it early and whole.
     */
    private static void scores(float[] kt, int base, float[] qs, int q0at, int nE, float[] st, float[] rowMax, int r0) {
        FloatVector s00 = FloatVector.zero(SPECIES), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int e = 0; e < nE; e++) {
            int at = base + e * BC;
            FloatVector k0 = FloatVector.fromArray(SPECIES, kt, at);
            FloatVector k1 = FloatVector.fromArray(SPECIES, kt, at + VL);
            FloatVector k2 = FloatVector.fromArray(SPECIES, kt, at + 2 * VL);
            FloatVector k3 = FloatVector.fromArray(SPECIES, kt, at + 3 * VL);
            FloatVector q0 = FloatVector.broadcast(SPECIES, qs[q0at + e]);
            s00 = q0.fma(k0, s00);
            s01 = q0.fma(k1, s01);
            s02 = q0.fma(k2, s02);
            s03 = q0.fma(k3, s03);
            FloatVector q1 = FloatVector.broadcast(SPECIES, qs[q0at + nE + e]);
            s10 = q1.fma(k0, s10);
            s11 = q1.fma(k1, s11);
            s12 = q1.fma(k2, s12);
            s13 = q1.fma(k3, s13);
            FloatVector q2 = FloatVector.broadcast(SPECIES, qs[q0at + 2 * nE + e]);
            s20 = q2.fma(k0, s20);
            s21 = q2.fma(k1, s21);
            s22 = q2.fma(k2, s22);
            s23 = q2.fma(k3, s23);
            FloatVector q3 = FloatVector.broadcast(SPECIES, qs[q0at + 3 * nE + e]);
            s30 = q3.fma(k0, s30);
            s31 = q3.fma(k1, s31);
            s32 = q3.fma(k2, s32);
            s33 = q3.fma(k3, s33);
        }
        if (plain()) {
            // The rows' maxima while the scores are in registers: on a tile inside every row's
            // bounds, the softmax step needs nothing else from them.
            // Most tiles raise no row's running max: a lane-wise comparison with it then replaces
            // the horizontal reduction (always reduced on a row's first tile, so that NaN stays NaN).
            // The old max joins the reduction (max(old, tile) is what rows() takes anyway) so that
            // every call has a receiver whose class C2 knows while parsing, the broadcast, not an
            // accumulator: the accumulators leave the loop through phis, typed FloatVector (the
            // declared type), and a Vector API call on one is virtual, inlined only through a
            // receiver-type profile (absent when C1 compiled the method at tier 2, without
            // profiling, as it does while C2's queue is long) or a late devirtualization, which
            // fails on chains (x.max(y).max(z)). Not inlined, a call runs the Vector API's Java
            // fallback, which boxes every vector: 1.3-2.2x slower for the life of the JVM, so that
            // runs differed by fork (bench/RESULTS.md, 2026-12-07). Re-typing the accumulators
            // instead (NZ.add(s00)) made this method too big for C1 (out of virtual registers),
            // and it then never reached C2.
            float m0 = rowMax[r0], m1 = rowMax[r0 + 1], m2 = rowMax[r0 + 2], m3 = rowMax[r0 + 3];
            FloatVector b0 = FloatVector.broadcast(SPECIES, m0), b1 = FloatVector.broadcast(SPECIES, m1);
            FloatVector b2 = FloatVector.broadcast(SPECIES, m2), b3 = FloatVector.broadcast(SPECIES, m3);
            st[R * BC] = m0 == Float.NEGATIVE_INFINITY || b0.compare(VectorOperators.LT, s00).or(b0.compare(VectorOperators.LT, s01))
                    .or(b0.compare(VectorOperators.LT, s02)).or(b0.compare(VectorOperators.LT, s03)).anyTrue()
                    ? b0.max(s00).max(s01).max(s02).max(s03).reduceLanes(VectorOperators.MAX) : m0;
            st[R * BC + 1] = m1 == Float.NEGATIVE_INFINITY || b1.compare(VectorOperators.LT, s10).or(b1.compare(VectorOperators.LT, s11))
                    .or(b1.compare(VectorOperators.LT, s12)).or(b1.compare(VectorOperators.LT, s13)).anyTrue()
                    ? b1.max(s10).max(s11).max(s12).max(s13).reduceLanes(VectorOperators.MAX) : m1;
            st[R * BC + 2] = m2 == Float.NEGATIVE_INFINITY || b2.compare(VectorOperators.LT, s20).or(b2.compare(VectorOperators.LT, s21))
                    .or(b2.compare(VectorOperators.LT, s22)).or(b2.compare(VectorOperators.LT, s23)).anyTrue()
                    ? b2.max(s20).max(s21).max(s22).max(s23).reduceLanes(VectorOperators.MAX) : m2;
            st[R * BC + 3] = m3 == Float.NEGATIVE_INFINITY || b3.compare(VectorOperators.LT, s30).or(b3.compare(VectorOperators.LT, s31))
                    .or(b3.compare(VectorOperators.LT, s32)).or(b3.compare(VectorOperators.LT, s33)).anyTrue()
                    ? b3.max(s30).max(s31).max(s32).max(s33).reduceLanes(VectorOperators.MAX) : m3;
        }
        // Scores leave registers through a small tile, so that row() takes no vector arguments (they would be boxed).
        s00.intoArray(st, 0);
        s01.intoArray(st, VL);
        s02.intoArray(st, 2 * VL);
        s03.intoArray(st, 3 * VL);
        s10.intoArray(st, BC);
        s11.intoArray(st, BC + VL);
        s12.intoArray(st, BC + 2 * VL);
        s13.intoArray(st, BC + 3 * VL);
        s20.intoArray(st, 2 * BC);
        s21.intoArray(st, 2 * BC + VL);
        s22.intoArray(st, 2 * BC + 2 * VL);
        s23.intoArray(st, 2 * BC + 3 * VL);
        s30.intoArray(st, 3 * BC);
        s31.intoArray(st, 3 * BC + VL);
        s32.intoArray(st, 3 * BC + 2 * VL);
        s33.intoArray(st, 3 * BC + 3 * VL);
    }

    /**
     * The online-softmax step of the R query rows from {@code rb} on one key tile: modifies and
     * masks their scores, updates the running maxima and sums, and leaves the tile's
     * probabilities in {@code pt} and the corrections of earlier accumulations in {@code corr}.
     * Two passes, each over all R rows, so that the rows' reductions and exponentials overlap
     * instead of waiting on each other.
     */
    private static void rows(int rb, int p0, int m0, float[] st, int[] lo, int[] hi, float[] rowMax, float[] rowSum,
                             float[] sumv, float[] corr, float[] pt, boolean[] km, Launch l, int[] g) {
        for (int local = 0; local < R; local++) {
            int r = rb + local;
            if (plain() && lo[r] <= m0 && m0 + BC <= hi[r]) {
                // Every key of the tile is present: the max came from scores().
                float old = rowMax[r], max = Math.max(old, st[R * BC + local]);
                corr[r] = old == max ? 1f : rescale(old, max);
                rowMax[r] = max;
            } else {
                row(local, r, p0, m0, st, lo, hi, rowMax, rowSum, corr, pt, km, l, g);
            }
        }
        if (norm() != SOFTMAX) return;
        // exp(s - max) inline, as 2^x with x = (s - max) * log2(e), or x = s - max for a plain
        // softmax, whose scores are in base 2 already (see LOG2E): x = n + f with n = round(x)
        // (the 1.5 * 2^23 trick) and |f| <= 1/2, 2^f by a degree-5 polynomial (relative error
        // 1e-7, fitted to 2^f on [-1/2, 1/2]), 2^n from the exponent bits: four vector operations
        // fewer than the Cody-Waite exp of s - max that this replaced. A helper method would not
        // be inlined and would box its vector. Lanes below -127 (masked keys: -inf) give exactly
        // 0 (n = -127 makes 2^n's bits 0); NaN stays NaN.
        FloatVector floor = FloatVector.broadcast(SPECIES, -127f), log2e = FloatVector.broadcast(SPECIES, 1.44269504f);
        FloatVector magic = FloatVector.broadcast(SPECIES, 12582912f), one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector c1 = FloatVector.broadcast(SPECIES, 0.6931470036506653f), c2 = FloatVector.broadcast(SPECIES, 0.24022242426872253f);
        FloatVector c3 = FloatVector.broadcast(SPECIES, 0.05550733581185341f), c4 = FloatVector.broadcast(SPECIES, 0.009671512991189957f);
        FloatVector c5 = FloatVector.broadcast(SPECIES, 0.001326472731307149f);
        for (int local = 0; local < R; local++) {
            int r = rb + local, at = local * BC;
            float max = rowMax[r];
            if (max == Float.NEGATIVE_INFINITY) {
                // No key yet: weight 0 (pt is reused, so it is written here too).
                java.util.Arrays.fill(pt, r * BC, r * BC + BC, 0f);
                continue;
            }
            FloatVector mv = FloatVector.broadcast(SPECIES, max);
            FloatVector sum = FloatVector.fromArray(SPECIES, sumv, r * VL).mul(corr[r]);
            for (int j = 0; j < BC; j += VL) {
                FloatVector x = FloatVector.fromArray(SPECIES, st, at + j).sub(mv);
                if (!plain()) x = x.mul(log2e);
                x = x.blend(floor, x.compare(VectorOperators.LT, floor));
                FloatVector t = x.add(magic);
                FloatVector f = x.sub(t.sub(magic));
                FloatVector poly = c5.fma(f, c4).fma(f, c3).fma(f, c2).fma(f, c1).fma(f, one);
                FloatVector pow2 = t.reinterpretAsInts().add(127 - 0x4B400000).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector e = poly.mul(pow2);
                e.intoArray(pt, r * BC + j);
                // e, not the loop-carried sum, is the receiver (see NZ and scores): with sum.add(e) a
                // compile without a type profile left the call virtual, and each result's type
                // then depended on the call itself, so it stayed boxed (2.2x slower).
                sum = e.add(sum);
            }
            NZ.add(sum).intoArray(sumv, r * VL);
        }
    }

    /**
     * The first pass of {@link #rows} for query row {@code r}: modifies and masks its scores. For
     * the softmax it leaves them in {@code st}, the new running max in {@code rowMax[r]} (-inf: no
     * key yet, then {@code pt} is 0) and the correction in {@code corr[r]}; for l1 or no
     * normalization it leaves the weights in {@code pt}.
     */
    private static void row(int local, int r, int p0, int m0, float[] st,
                            int[] lo, int[] hi, float[] rowMax, float[] rowSum, float[] corr, float[] pt, boolean[] km,
                            Launch l, int[] g) {
        int p = p0 + r;
        int at = local * BC;
        FloatVector a0 = FloatVector.fromArray(SPECIES, st, at);
        FloatVector a1 = FloatVector.fromArray(SPECIES, st, at + VL);
        FloatVector a2 = FloatVector.fromArray(SPECIES, st, at + 2 * VL);
        FloatVector a3 = FloatVector.fromArray(SPECIES, st, at + 3 * VL);
        if (hasMod()) {
            a0 = mod(a0, p, m0, l, g);
            a1 = mod(a1, p, m0 + VL, l, g);
            a2 = mod(a2, p, m0 + 2 * VL, l, g);
            a3 = mod(a3, p, m0 + 3 * VL, l, g);
        }
        int rl = lo[r], rh = hi[r];
        if (hasKeep()) {
            // Keys the other masks drop are absent, as keys outside the bounds are: -inf for the
            // softmax, weight 0 otherwise. (Inline: vector arguments would be boxed.)
            for (int j = 0; j < BC; j++) km[j] = keep(p, m0 + j, l, g);
            FloatVector fill = FloatVector.broadcast(SPECIES, norm() == SOFTMAX ? Float.NEGATIVE_INFINITY : 0f);
            a0 = fill.blend(a0, VectorMask.fromArray(SPECIES, km, 0));
            a1 = fill.blend(a1, VectorMask.fromArray(SPECIES, km, VL));
            a2 = fill.blend(a2, VectorMask.fromArray(SPECIES, km, 2 * VL));
            a3 = fill.blend(a3, VectorMask.fromArray(SPECIES, km, 3 * VL));
        }
        if (norm() != SOFTMAX) {
            // l1 or no normalization: the modified scores are the weights, 0 where masked; l1 adds
            // them to the row's sum. Nothing is rescaled. (Inline: vector arguments would be boxed.)
            if (m0 < rl || m0 + BC > rh) {
                FloatVector zero = FloatVector.zero(SPECIES);
                int n = rh - rl;
                a0 = zero.blend(a0, SPECIES.indexInRange(m0 - rl, n));
                a1 = zero.blend(a1, SPECIES.indexInRange(m0 + VL - rl, n));
                a2 = zero.blend(a2, SPECIES.indexInRange(m0 + 2 * VL - rl, n));
                a3 = zero.blend(a3, SPECIES.indexInRange(m0 + 3 * VL - rl, n));
            }
            // Re-typed after the join (see NZ and scores).
            a0 = NZ.add(a0);
            a1 = NZ.add(a1);
            a2 = NZ.add(a2);
            a3 = NZ.add(a3);
            a0.intoArray(pt, r * BC);
            a1.intoArray(pt, r * BC + VL);
            a2.intoArray(pt, r * BC + 2 * VL);
            a3.intoArray(pt, r * BC + 3 * VL);
            if (norm() == L1) rowSum[r] += a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
            corr[r] = 1f;
            return;
        }
        if (m0 < rl || m0 + BC > rh) {
            FloatVector ninf = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            int n = rh - rl;
            a0 = ninf.blend(a0, SPECIES.indexInRange(m0 - rl, n));
            a1 = ninf.blend(a1, SPECIES.indexInRange(m0 + VL - rl, n));
            a2 = ninf.blend(a2, SPECIES.indexInRange(m0 + 2 * VL - rl, n));
            a3 = ninf.blend(a3, SPECIES.indexInRange(m0 + 3 * VL - rl, n));
        }
        // Re-typed after the join (see NZ and scores).
        a0 = NZ.add(a0);
        a1 = NZ.add(a1);
        a2 = NZ.add(a2);
        a3 = NZ.add(a3);
        float tileMax = a0.max(a1).max(a2.max(a3)).reduceLanes(VectorOperators.MAX);
        float old = rowMax[r];
        float max = Math.max(old, tileMax);
        if (max == Float.NEGATIVE_INFINITY) {
            corr[r] = 1f;
            java.util.Arrays.fill(pt, r * BC, r * BC + BC, 0f);
            return;
        }
        float c = old == max ? 1f : rescale(old, max);
        a0.intoArray(st, at);
        a1.intoArray(st, at + VL);
        a2.intoArray(st, at + 2 * VL);
        a3.intoArray(st, at + 3 * VL);
        rowMax[r] = max;
        corr[r] = c;
    }

    /**
     * {@code acc[r][f] = acc[r][f] * corr[r] + sum_j pt[r][j] * V[j][f]} for the tile's {@code jn}
     * keys, V's rows read in place from {@code vAt} (its first key's row).
     */
    private static void accumulate(float[] acc, int a0, float[] pt, int ptAt, float[] corr, int c,
                                   float[] v, int vAt, int jn, int nF) {
        int f0 = a0;
        int end = a0 + nF;
        FloatVector c0 = FloatVector.broadcast(SPECIES, corr[c]), c1 = FloatVector.broadcast(SPECIES, corr[c + 1]);
        FloatVector c2 = FloatVector.broadcast(SPECIES, corr[c + 2]), c3 = FloatVector.broadcast(SPECIES, corr[c + 3]);
        vAt -= a0;
        for (; f0 + BC <= end; f0 += BC) {
            FloatVector a00 = FloatVector.fromArray(SPECIES, acc, f0).mul(c0);
            FloatVector a01 = FloatVector.fromArray(SPECIES, acc, f0 + VL).mul(c0);
            FloatVector a02 = FloatVector.fromArray(SPECIES, acc, f0 + 2 * VL).mul(c0);
            FloatVector a03 = FloatVector.fromArray(SPECIES, acc, f0 + 3 * VL).mul(c0);
            FloatVector a10 = FloatVector.fromArray(SPECIES, acc, nF + f0).mul(c1);
            FloatVector a11 = FloatVector.fromArray(SPECIES, acc, nF + f0 + VL).mul(c1);
            FloatVector a12 = FloatVector.fromArray(SPECIES, acc, nF + f0 + 2 * VL).mul(c1);
            FloatVector a13 = FloatVector.fromArray(SPECIES, acc, nF + f0 + 3 * VL).mul(c1);
            FloatVector a20 = FloatVector.fromArray(SPECIES, acc, 2 * nF + f0).mul(c2);
            FloatVector a21 = FloatVector.fromArray(SPECIES, acc, 2 * nF + f0 + VL).mul(c2);
            FloatVector a22 = FloatVector.fromArray(SPECIES, acc, 2 * nF + f0 + 2 * VL).mul(c2);
            FloatVector a23 = FloatVector.fromArray(SPECIES, acc, 2 * nF + f0 + 3 * VL).mul(c2);
            FloatVector a30 = FloatVector.fromArray(SPECIES, acc, 3 * nF + f0).mul(c3);
            FloatVector a31 = FloatVector.fromArray(SPECIES, acc, 3 * nF + f0 + VL).mul(c3);
            FloatVector a32 = FloatVector.fromArray(SPECIES, acc, 3 * nF + f0 + 2 * VL).mul(c3);
            FloatVector a33 = FloatVector.fromArray(SPECIES, acc, 3 * nF + f0 + 3 * VL).mul(c3);
            for (int j = 0; j < jn; j++) {
                int at = vAt + f0 + j * nF;
                FloatVector v0 = FloatVector.fromArray(SPECIES, v, at);
                FloatVector v1 = FloatVector.fromArray(SPECIES, v, at + VL);
                FloatVector v2 = FloatVector.fromArray(SPECIES, v, at + 2 * VL);
                FloatVector v3 = FloatVector.fromArray(SPECIES, v, at + 3 * VL);
                FloatVector w0 = FloatVector.broadcast(SPECIES, pt[ptAt + j]);
                a00 = w0.fma(v0, a00);
                a01 = w0.fma(v1, a01);
                a02 = w0.fma(v2, a02);
                a03 = w0.fma(v3, a03);
                FloatVector w1 = FloatVector.broadcast(SPECIES, pt[ptAt + BC + j]);
                a10 = w1.fma(v0, a10);
                a11 = w1.fma(v1, a11);
                a12 = w1.fma(v2, a12);
                a13 = w1.fma(v3, a13);
                FloatVector w2 = FloatVector.broadcast(SPECIES, pt[ptAt + 2 * BC + j]);
                a20 = w2.fma(v0, a20);
                a21 = w2.fma(v1, a21);
                a22 = w2.fma(v2, a22);
                a23 = w2.fma(v3, a23);
                FloatVector w3 = FloatVector.broadcast(SPECIES, pt[ptAt + 3 * BC + j]);
                a30 = w3.fma(v0, a30);
                a31 = w3.fma(v1, a31);
                a32 = w3.fma(v2, a32);
                a33 = w3.fma(v3, a33);
            }
            a00.intoArray(acc, f0);
            a01.intoArray(acc, f0 + VL);
            a02.intoArray(acc, f0 + 2 * VL);
            a03.intoArray(acc, f0 + 3 * VL);
            a10.intoArray(acc, nF + f0);
            a11.intoArray(acc, nF + f0 + VL);
            a12.intoArray(acc, nF + f0 + 2 * VL);
            a13.intoArray(acc, nF + f0 + 3 * VL);
            a20.intoArray(acc, 2 * nF + f0);
            a21.intoArray(acc, 2 * nF + f0 + VL);
            a22.intoArray(acc, 2 * nF + f0 + 2 * VL);
            a23.intoArray(acc, 2 * nF + f0 + 3 * VL);
            a30.intoArray(acc, 3 * nF + f0);
            a31.intoArray(acc, 3 * nF + f0 + VL);
            a32.intoArray(acc, 3 * nF + f0 + 2 * VL);
            a33.intoArray(acc, 3 * nF + f0 + 3 * VL);
        }
        // Remaining columns, one at a time.
        for (; f0 < end; f0++) {
            for (int r = 0; r < R; r++) {
                float a = acc[r * nF + f0] * corr[c + r];
                for (int j = 0; j < jn; j++) a += pt[ptAt + r * BC + j] * v[vAt + j * nF + f0];
                acc[r * nF + f0] = a;
            }
        }
    }

}
