"""QA programs: (name, source, inputs{name: array}, params{name: value}, reference(inputs, params) -> {out: array}, extra args)."""
import numpy as np

R = np.random.default_rng(7)
def rn(*s): return R.standard_normal(s)
def ru(lo, hi, *s): return R.uniform(lo, hi, s)

PROGS = []
def prog(name, src, inputs, ref, params=None, args=(), tol=1e-5, cascade=None):
    PROGS.append(dict(name=name, src=src, inputs=inputs, ref=ref, params=params or {}, args=list(args), tol=tol, cascade=cascade))

def softplus(x): return np.log1p(np.exp(x))
def sigmoid(x): return 1 / (1 + np.exp(-x))
def elu(x): return np.where(x > 0, x, np.exp(x) - 1)

# 1. every unary scalar function, one output each, ';' separators
X = rn(7); XP = ru(0.1, 3, 7)
prog("scalar_funcs", """
cascade funcs {
  input X[i], XP[i]          # XP is positive
  output O1[i], O2[i], O3[i], O4[i], O5[i], O6[i], O7[i]
  output O8[i], O9[i], O10[i], O11[i], O12[i], O13[i], O14[i], O15[i]
  O1[i] = exp(X[i]); O2[i] = log(XP[i]); O3[i] = sqrt(XP[i])
  O4[i] = rsqrt(XP[i]); O5[i] = tanh(X[i]); O6[i] = sigmoid(X[i])
  O7[i] = softplus(X[i]); O8[i] = relu(X[i]); O9[i] = elu(X[i])
  O10[i] = abs(X[i]); O11[i] = sign(X[i]); O12[i] = min(X[i], XP[i] - 1)
  O13[i] = max(X[i], 0.25); O14[i] = pow(XP[i], X[i]); O15[i] = -X[i] * 2 - -XP[i] / 4 + 1.5e-1
}
""", dict(X=X, XP=XP), lambda d, p: dict(
    O1=np.exp(d['X']), O2=np.log(d['XP']), O3=np.sqrt(d['XP']), O4=1/np.sqrt(d['XP']), O5=np.tanh(d['X']),
    O6=sigmoid(d['X']), O7=softplus(d['X']), O8=np.maximum(d['X'], 0), O9=elu(d['X']), O10=np.abs(d['X']),
    O11=np.sign(d['X']), O12=np.minimum(d['X'], d['XP'] - 1), O13=np.maximum(d['X'], 0.25), O14=d['XP'] ** d['X'],
    O15=-d['X'] * 2 + d['XP'] / 4 + 0.15))

# 2. select with && || ! and index comparisons
A = rn(5); B = rn(6)
def ref_select(d, p):
    a, b = d['A'], d['B']; I, J = len(a), len(b)
    o = np.zeros((I, J))
    for i in range(I):
        for j in range(J):
            c = (a[i] > b[j] and not (i == j)) or i + j >= I
            o[i, j] = a[i] - b[j] if c else -1.0
    return dict(O=o)
prog("select_logic", """
cascade sel {
  input A[i], B[j]
  output O[i, j]
  O[i, j] = select(A[i] > B[j] && !(i == j) || i + j >= I, A[i] - B[j], -1)
}
""", dict(A=A, B=B), ref_select)

# 3. where with comparisons and logic, sum over j of a masked row
X3 = rn(6, 9)
def ref_where(d, p):
    x = d['X']; I, J = x.shape
    o = np.zeros(I); c = np.zeros(I)
    for i in range(I):
        for j in range(J):
            if (j != i and j >= 2) or j == J - 1:
                o[i] += x[i, j]
            if not (j > i) and (j < 3 or j > 4):
                c[i] += 1
    return dict(O=o, C=c)
prog("where_logic", """
cascade wl {
  input X[i, j]
  output O[i], C[i]
  O[i] = X[i, j] where (j != i && j >= 2) || j == J - 1
  C[i] = 1 + 0 * X[i, j] where !(j > i) && (j < 3 || j > 4)
}
""", dict(X=X3), ref_where)

# 4. index values and extents as values
Q4 = rn(5, 4); K4 = rn(7, 4)
def ref_idx(d, p):
    q, k = d['Q'], d['K']; P, E = q.shape; M = k.shape[0]
    pi = np.arange(P)[:, None]; mi = np.arange(M)[None, :]
    s = (q @ k.T) / np.sqrt(E) - 0.5 * (pi - mi) + M / (P + 1.0) * (pi * mi - 2 * mi)  # summed over e: E copies
    return dict(S=s)
prog("index_values", """
cascade iv {
  input Q[p, e], K[m, e]
  output S[p, m]
  S[p, m] = 1 / sqrt(E) * Q[p, e] * K[m, e] - 0.5 * (p - m) / E + M / (P + 1) * (p * m - 2 * m) / E
}
""", dict(Q=Q4, K=K4), ref_idx)

# 5. params with and without defaults; defaults that use extents and other params
X5 = rn(4, 3)
def ref_params(d, p):
    x = d['X']; I, J = x.shape
    alpha = p['alpha']; beta = 2 * J + 1; gamma = beta / alpha
    return dict(O=alpha * x + beta - gamma)
prog("params", """
cascade pr {
  input X[i, j]
  output O[i, j]
  param alpha
  param beta = 2 * J + 1
  param gamma = beta / alpha
  O[i, j] = alpha * X[i, j] + beta - gamma
}
""", dict(X=X5), ref_params, params=dict(alpha=0.75))

# 6. every reduction op with explicit lists, two reduced indices
X6 = ru(0.5, 1.5, 3, 4, 5)
prog("reductions", """
cascade red {
  input X[i, j, k]
  output S[i], M[i], N[i], P[i], S2[j], MK[i, j]
  S[i] = X[i, j, k] :: sum(j, k)
  M[i] = X[i, j, k] :: max(k, j)
  N[i] = X[i, j, k] :: min(j, k)
  P[i] = X[i, j, k] :: prod(j, k)
  S2[j] = X[i, j, k] * 2
  MK[i, j] = X[i, j, k] - 1 :: max(k)
}
""", dict(X=X6), lambda d, p: dict(S=d['X'].sum((1, 2)), M=d['X'].max((1, 2)), N=d['X'].min((1, 2)),
                                   P=d['X'].prod((1, 2)), S2=2 * d['X'].sum((0, 2)), MK=(d['X'] - 1).max(2)))

# 7. scalars written Y and Y[]
A7 = rn(6); B7 = rn(6)
def ref_scal(d, p):
    s = d['A'] @ d['B']
    return dict(S=np.array(s), T=np.array(2 * s + np.max(d['A'])), U=d['A'] * s)
prog("scalars", """
cascade sc {
  input A[k], B[k]
  output S, T[], U[k]
  S = A[k] * B[k]
  MX[] = A[k] :: max(k)
  T[] = 2 * S[] + MX
  U[k] = A[k] * S
}
""", dict(A=A7, B=B7), ref_scal)

# 8. several cascades in a file (run the second)
X8 = rn(4, 5)
prog("multi_cascade", """
# first cascade: not run
cascade first { input X[i, j]; output Y[i]; Y[i] = X[i, j] }
# second cascade: row max minus row min
cascade second {
  input X[i, j]
  output Y[i]
  HI[i] = X[i, j] :: max(j)
  LO[i] = X[i, j] :: min(j)
  Y[i] = HI[i] - LO[i]
}
cascade third { input X[i, j]; output Y[j]; Y[j] = X[i, j] :: prod(i) }
""", dict(X=X8), lambda d, p: dict(Y=d['X'].max(1) - d['X'].min(1)), cascade="second")

# 9. batch with one rank
Q9 = rn(3, 5, 4); K9 = rn(3, 6, 4)
prog("batch_one", """
cascade b1 {
  batch b
  input Q[p, e], K[m, e]
  output S[p, m], T[m]
  S[p, m] = Q[p, e] * K[m, e]
  T[m] = S[p, m] :: max(p)
}
""", dict(Q=Q9, K=K9), lambda d, p: dict(S=np.einsum('bpe,bme->bpm', d['Q'], d['K']),
                                        T=np.einsum('bpe,bme->bpm', d['Q'], d['K']).max(1)))

# 10. batch with two ranks, a tensor naming a batch rank explicitly (W[h, e]), a scalar per batch
Q10 = rn(2, 3, 5, 4); W10 = rn(3, 4)
def ref_b2(d, p):
    q, w = d['Q'], d['W']
    o = np.einsum('bhpe,he->bhp', q, w)
    n = (q * q).sum((2, 3))
    return dict(O=o, N=n)
prog("batch_two", """
cascade b2 {
  batch b, h
  input Q[p, e], W[h, e]      # W names h: taken as written, no b
  output O[p], N
  O[p] = Q[p, e] * W[h, e]
  N = Q[p, e] * Q[p, e]       # one scalar per (b, h)
}
""", dict(Q=Q10, W=W10), ref_b2)

# 11. batch with zero ranks (no batch) plus a batched-looking explicit rank
prog("batch_zero", """
cascade b0 {
  input Q[b, p, e], W[e]
  output O[b, p]
  O[b, p] = Q[b, p, e] * W[e]
}
""", dict(Q=rn(2, 3, 4), W=rn(4)), lambda d, p: dict(O=d['Q'] @ d['W']))

# 12. shifted reads X[p - 1], X[p + 1] (out of range -> absent -> 0 in the output)
X12 = rn(7)
def ref_shift(d, p):
    x = d['X']; P = len(x)
    d1 = np.zeros(P); d2 = np.zeros(P)
    for i in range(P):
        if 1 <= i <= P - 2: d1[i] = x[i + 1] - x[i - 1]
        if i >= 1: d2[i] = x[i] - x[i - 1]
    return dict(D=d1, F=d2)
prog("shift_reads", """
cascade sh {
  input X[p]
  output D[p], F[p]
  D[p] = X[p + 1] - X[p - 1]
  F[p] = X[p] - X[p - 1]
}
""", dict(X=X12), ref_shift)

# 13. convolution with a window index summed: Y[p] = sum_k X[p + k - 1] * W[k], edges skipped
X13 = rn(9); W13 = rn(3)
def ref_conv(d, p):
    x, w = d['X'], d['W']; P = len(x); Kk = len(w)
    y = np.zeros(P); mx = np.zeros(P)
    for i in range(P):
        vals = [x[i + k - 1] * w[k] for k in range(Kk) if 0 <= i + k - 1 < P]
        y[i] = sum(vals); mx[i] = max(vals)
    return dict(Y=y, MX=mx)
prog("conv1d", """
cascade conv {
  input X[p], W[k]
  output Y[p], MX[p]
  Y[p] = X[p + k - 1] * W[k]
  MX[p] = X[p + k - 1] * W[k] :: max(k)
}
""", dict(X=X13, W=W13), ref_conv)

# 14. division and modulo by constants of extents: upsample and tile
A14 = rn(10); X14 = rn(4); Z14 = rn(3)
def ref_divmod(d, p):
    a, x, z = d['A'], d['X'], d['Z']; I = len(a); J = len(x); Kz = len(z)
    up = np.zeros(I); md = np.zeros(I)
    for i in range(I):
        if i // 2 < J: up[i] = a[i] + x[i // 2]
        md[i] = a[i] * z[i % Kz]
    return dict(UP=up, MD=md)
prog("div_mod", """
cascade dm {
  input A[i], X[j], Z[k]
  output UP[i], MD[i]
  UP[i] = A[i] + X[i / 2]          # past the end of X when i / 2 >= J: absent
  MD[i] = A[i] * Z[i % K]
}
""", dict(A=A14, X=X14, Z=Z14), ref_divmod)

# 15. grouped heads h / (H / G), with the batch rank g named explicitly
Q15 = rn(2, 6, 3, 4); K15 = rn(2, 2, 5, 4)
def ref_gqa(d, p):
    q, k = d['Q'], d['K']; H = q.shape[1]; G = k.shape[1]
    kk = np.repeat(k, H // G, axis=1)
    return dict(S=np.einsum('bhpe,bhme->bhpm', q, kk))
prog("grouped", """
cascade gq {
  batch b, h
  input Q[p, e], K[b, g, m, e]
  output S[p, m]
  S[p, m] = Q[p, e] * K[h / (H / G), m, e]
}
""", dict(Q=Q15, K=K15), ref_gqa)

# 16. split with ragged tiles: tile sums and tile maxes, then totals
X16 = rn(3, 11)
def ref_split(d, p):
    x = d['X']; I, M = x.shape; T = 4; M1 = -(-M // T)
    ts = np.zeros((I, M1)); tm = np.zeros((I, M1))
    for t in range(M1):
        ts[:, t] = x[:, t * T:(t + 1) * T].sum(1); tm[:, t] = x[:, t * T:(t + 1) * T].max(1)
    return dict(TS=ts, TOT=ts.sum(1), TM=tm, MX=tm.max(1))
prog("split_ragged", """
cascade sp {
  input X[i, m]
  output TS[i, m1], TOT[i], TM[i, m1], MX[i]
  split m = (m1, m0) by 4
  TS[i, m1] = X[i, m1 * M0 + m0]
  TM[i, m1] = X[i, m1 * M0 + m0] :: max(m0)
  TOT[i] = TS[i, m1]
  MX[i] = TM[i, m1] :: max(m1)
}
""", dict(X=X16), ref_split)

# 17. split tile given as an extent expression
X17 = rn(10); W17 = rn(3, 2)  # E = 3 (tile), F unused
def ref_split_expr(d, p):
    x = d['X']; M = len(x); T = d['W'].shape[0]; M1 = -(-M // T)
    return dict(TS=np.array([x[t * T:(t + 1) * T].sum() for t in range(M1)]),
                L=np.array([min(T, M - t * T) for t in range(M1)], dtype=float))
prog("split_extent_tile", """
cascade spe {
  input X[m], W[e, f]
  output TS[m1], L[m1]
  split m = (m1, m0) by E
  TS[m1] = X[m1 * M0 + m0]
  L[m1] = 1 + 0 * X[m1 * M0 + m0]
}
""", dict(X=X17, W=W17), ref_split_expr)

# 18. recurrence: running sum and running max over t with constant init, read X[T] after the loop
X18 = rn(6, 3)
def ref_rec(d, p):
    x = d['X']; T, P = x.shape
    s = np.zeros(P); m = np.full(P, -np.inf)
    for t in range(T):
        s = s * 0.5 + x[t]; m = np.maximum(m, x[t])
    return dict(S=s, MX=m)
prog("recurrence_two", """
cascade rec {
  input X[t, p]
  output S[p], MX[p]
  init RS[t = 0, p] = 0
  init RM[t = 0, p] = -inf
  RS[t + 1, p] = RS[t, p] * 0.5 + X[t, p]
  RM[t + 1, p] = max(RM[t, p], X[t, p])
  S[p] = RS[T, p]
  MX[p] = RM[T, p]
}
""", dict(X=X18), ref_rec)

# 19. recurrence with an init expression, over a split rank (tiled prefix), with an inner reduction
X19 = rn(2, 10); A19 = rn(2)
def ref_rec2(d, p):
    x, a = d['X'], d['A']; I, M = x.shape; T = 3; M1 = -(-M // T)
    r = a * 2 + 1
    for t in range(M1):
        r = r + x[:, t * T:(t + 1) * T].sum(1) * (t + 1)
    return dict(Y=r)
prog("recurrence_init_expr", """
cascade rec2 {
  input X[i, m], A[i]
  output Y[i]
  split m = (m1, m0) by 3
  init R[m1 = 0, i] = A[i] * 2 + 1
  TS[m1, i] = X[i, m1 * M0 + m0]
  R[m1 + 1, i] = R[m1, i] + TS[m1, i] * (m1 + 1)
  Y[i] = R[M1, i]
}
""", dict(X=X19, A=A19), ref_rec2)

# 20. masked softmax with rows emptied by the mask (m < p: row 0 has no key)
Q20 = rn(2, 6, 4); K20 = rn(2, 8, 4); V20 = rn(2, 8, 3)
def ref_strict(d, p):
    q, k, v = d['Q'], d['K'], d['V']; B, P, E = q.shape; M = k.shape[1]
    out = np.zeros((B, P, v.shape[2])); gm = np.zeros((B, P))
    for b in range(B):
        s = q[b] @ k[b].T / np.sqrt(E)
        for i in range(P):
            idx = [m for m in range(M) if m < i]
            if not idx: gm[b, i] = -np.inf; continue
            row = s[i, idx]; gm[b, i] = row.max(); e = np.exp(row - row.max())
            out[b, i] = (e / e.sum()) @ v[b][idx]
    return dict(AV=out, GM=gm)
prog("strict_causal_empty_rows", """
cascade strict {
  batch b
  input Q[p, e], K[m, e], V[m, f]
  output AV[p, f], GM[p]
  param scale = 1 / sqrt(E)
  QK[m, p] = scale * Q[p, e] * K[m, e] where m < p
  GM[p] = QK[m, p] :: max(m)
  SN[m, p] = exp(QK[m, p] - GM[p])
  SD[p] = SN[m, p]
  AV[p, f] = SN[m, p] / SD[p] * V[m, f]
}
""", dict(Q=Q20, K=K20, V=V20), ref_strict)

# 21. a mask that empties rows completely via a param: min over an empty set is +inf... masked by select
X21 = rn(5, 6)
def ref_empty(d, p):
    x = d['X']; I, J = x.shape; lim = p['lim']
    s = np.zeros(I); pr = np.zeros(I); c = np.zeros(I)
    for i in range(I):
        vals = [x[i, j] for j in range(J) if j + i < lim]
        s[i] = sum(vals); pr[i] = np.prod(vals) if vals else 0.0; c[i] = len(vals)
    return dict(S=s, PR=pr, C=c)
prog("empty_rows", """
cascade er {
  input X[i, j]
  output S[i], PR[i], C[i]
  param lim
  S[i] = X[i, j] where j + i < lim
  PR[i] = X[i, j] :: prod(j) where j + i < lim
  C[i] = 1 + X[i, j] * 0 where j + i < lim
}
""", dict(X=X21), ref_empty, params=dict(lim=3))

# 22. types: f64 and f16 inputs and outputs, bf16 output
A22 = rn(4, 5); B22 = rn(5, 3).astype(np.float16)
prog("types", """
cascade ty {
  input A[i, k]: f64, B[k, j]: f16
  output C[i, j]: f64, D[i, j]: f16, E2[i, j]: bf16
  C[i, j] = A[i, k] * B[k, j]
  D[i, j] = C[i, j] * 0.5
  E2[i, j] = C[i, j] + 1
}
""", dict(A=A22, B=B22), lambda d, p: dict(C=d['A'] @ d['B'].astype(np.float64),
                                          D=0.5 * (d['A'] @ d['B'].astype(np.float64)),
                                          E2=d['A'] @ d['B'].astype(np.float64) + 1), tol=1e-2)

# 23. comments everywhere and statements continued inside brackets
X23 = rn(3, 4); Y23 = rn(4)
prog("layout_comments", """
# leading comment
cascade   lay   {   # after brace
  # inside
  input X[i,
          j], Y[  # continued declaration
            j]
  output O[i]   ; output P[
    i]
  T[i] = (X[i, j] *      # continued inside parentheses
         Y[j]
         + 0)
  O[i] = max(T[i],
             0)          # relu by hand
  P[i] = select(T[i] > 0,
                T[i], -T[i]); # abs by hand
}
# trailing comment""", dict(X=X23, Y=Y23), lambda d, p: dict(O=np.maximum(d['X'] @ d['Y'], 0), P=np.abs(d['X'] @ d['Y'])))

# 24. 2-pass attention with split and a per-tile max (Cascade-4-like), ragged, with a causal mask
Q24 = rn(1, 2, 7, 4); K24 = rn(1, 2, 10, 4); V24 = rn(1, 2, 10, 3)
def ref_attn_causal_offset(d, p):
    q, k, v = d['Q'], d['K'], d['V']; B, H, P, E = q.shape; M = k.shape[2]; off = M - P
    out = np.zeros((B, H, P, v.shape[3]))
    for b in range(B):
        for h in range(H):
            s = q[b, h] @ k[b, h].T / np.sqrt(E)
            for i in range(P):
                idx = [m for m in range(M) if m <= i + off]
                row = s[i, idx]; e = np.exp(row - row.max())
                out[b, h, i] = (e / e.sum()) @ v[b, h][idx]
    return dict(AV=out)
prog("attn_tiled_offset", """
cascade att {
  batch b, h
  input Q[p, e], K[m, e], V[m, f]
  output AV[p, f]
  split m = (m1, m0) by 4
  BQK[m1, m0, p] = rsqrt(E) * Q[p, e] * K[m1 * M0 + m0, e] where m1 * M0 + m0 <= p + (M - P)
  LM[m1, p] = BQK[m1, m0, p] :: max(m0)
  GM[p] = LM[m1, p] :: max(m1)
  SN[m1, m0, p] = exp(BQK[m1, m0, p] - GM[p])
  SD[p] = SN[m1, m0, p]
  SNV[p, f] = SN[m1, m0, p] * V[m1 * M0 + m0, f]
  AV[p, f] = SNV[p, f] / SD[p]
}
""", dict(Q=Q24, K=K24, V=V24), ref_attn_causal_offset)

# 25. 1-pass cascade with a split tile given by a param-free extent expression, causal, ragged
Q25 = rn(2, 1, 9, 4); K25 = rn(2, 1, 9, 4); V25 = rn(2, 1, 9, 2)
def ref_causal(d, p):
    q, k, v = d['Q'], d['K'], d['V']; B, H, P, E = q.shape; M = k.shape[2]
    out = np.zeros((B, H, P, v.shape[3]))
    for b in range(B):
        for h in range(H):
            s = q[b, h] @ k[b, h].T
            for i in range(P):
                idx = [m for m in range(M) if m <= i]
                row = s[i, idx]; e = np.exp(row - row.max())
                out[b, h, i] = (e / e.sum()) @ v[b, h][idx]
    return dict(AV=out)
prog("attn_1pass_causal", """
cascade a1 {
  batch b, h
  input Q[p, e], K[m, e], V[m, f]
  output AV[p, f]
  split m = (m1, m0) by E - 1
  init RM[m1 = 0, p] = -inf
  init RD[m1 = 0, p] = 0
  init RNV[m1 = 0, p, f] = 0
  BQK[m1, m0, p] = Q[p, e] * K[m1 * M0 + m0, e] where m1 * M0 + m0 <= p
  LM[m1, p] = BQK[m1, m0, p] :: max(m0)
  RM[m1 + 1, p] = max(RM[m1, p], LM[m1, p])
  SLN[m1, m0, p] = exp(BQK[m1, m0, p] - RM[m1 + 1, p])
  SLD[m1, p] = SLN[m1, m0, p]
  SLNV[m1, p, f] = SLN[m1, m0, p] * V[m1 * M0 + m0, f]
  PRM[m1, p] = exp(RM[m1, p] - RM[m1 + 1, p])
  RD[m1 + 1, p] = SLD[m1, p] + RD[m1, p] * PRM[m1, p]
  RNV[m1 + 1, p, f] = SLNV[m1, p, f] + RNV[m1, p, f] * PRM[m1, p]
  AV[p, f] = RNV[M1, p, f] / RD[M1, p]
}
""", dict(Q=Q25, K=K25, V=V25), ref_causal)

# 26. matrix product chain with a transposed read and a max-plus (tropical) product
A26 = rn(4, 5); B26 = rn(5, 6); C26 = rn(6, 3)
def ref_chain(d, p):
    a, b, c = d['A'], d['B'], d['C']
    ab = a @ b
    tp = np.max(a[:, :, None] + b[None, :, :], axis=1)
    return dict(ABC=ab @ c, TP=tp, ATA=a.T @ a)
prog("chain_tropical", """
cascade ch {
  input A[i, k], B[k, j], C[j, l]
  output ABC[i, l], TP[i, j], ATA[k, k2]
  AB[i, j] = A[i, k] * B[k, j]
  ABC[i, l] = AB[i, j] * C[j, l]
  TP[i, j] = A[i, k] + B[k, j] :: max(k)
  ATA[k, k2] = A[i, k] * A[i, k2]
}
""", dict(A=A26, B=B26, C=C26), ref_chain)

# 27. layer norm / rms norm: extents as values, param eps with default, rsqrt
X27 = rn(2, 3, 8); G27 = rn(8)
def ref_norm(d, p):
    x, g = d['X'], d['G']; eps = 1e-5
    mu = x.mean(-1, keepdims=True); var = ((x - mu) ** 2).mean(-1, keepdims=True)
    ln = (x - mu) / np.sqrt(var + eps) * g
    rms = x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g
    return dict(LN=ln, RMS=rms)
prog("norms", """
cascade norms {
  batch b, t
  input X[d], G[b, t, d]
  output LN[d], RMS[d]
  param eps = 1e-5
  MU = X[d] / D
  VAR = (X[d] - MU) * (X[d] - MU) / D
  LN[d] = (X[d] - MU) * rsqrt(VAR + eps) * G[d]
  MS[] = X[d] * X[d] / D
  RMS[d] = X[d] / sqrt(MS + eps) * G[d]
}
""", dict(X=X27, G=np.broadcast_to(G27, (2, 3, 8)).copy()), ref_norm)

# 28. logsumexp with a max and a min over disjoint masks, index equality masks (diagonal)
X28 = rn(5, 5)
def ref_lse(d, p):
    x = d['X']; n = x.shape[0]
    gm = x.max(1); lse = gm + np.log(np.exp(x - gm[:, None]).sum(1))
    diag = np.diag(x).copy()
    off = np.array([min(x[i, j] for j in range(n) if j != i) for i in range(n)])
    return dict(LSE=lse, DIAG=diag, OFF=off)
prog("lse_diag", """
cascade lse {
  input X[i, j]
  output LSE[i], DIAG[i], OFF[i]
  GM[i] = X[i, j] :: max(j)
  SE[i] = exp(X[i, j] - GM[i])
  LSE[i] = GM[i] + log(SE[i])
  DIAG[i] = X[i, j] where i == j
  OFF[i] = X[i, j] :: min(j) where i != j
}
""", dict(X=X28), ref_lse)

# ---- batch 2: shapes the rewrites look for, with twists ----
def attn_ref(q, k, v, mask, scale, bias=None):
    B, H, P, E = q.shape; M = k.shape[2]
    out = np.zeros((B, H, P, v.shape[3]))
    for b in range(B):
        for h in range(H):
            s = scale * (q[b, h] @ k[b, h].T)
            if bias is not None: s = s + bias(b, h)
            for i in range(P):
                idx = [m for m in range(M) if mask(i, m)]
                if not idx: continue
                row = s[i, idx]; e = np.exp(row - row.max())
                out[b, h, i] = (e / e.sum()) @ v[b, h][idx]
    return out

SOFTMAX = """
cascade {name} {{
  batch b, h
  input Q[p, e], K[m, e], V[m, f]
  output AV[p, f]
  {params}
  QK[m, p] = scale * Q[p, e] * K[m, e] where {mask}
  GM[p] = QK[m, p] :: max(m)
  SN[m, p] = exp(QK[m, p] - GM[p])
  SD[p] = SN[m, p]
  A[m, p] = SN[m, p] / SD[p]
  AV[p, f] = A[m, p] * V[m, f]
}}
"""
Qa = rn(1, 2, 13, 8); Ka = rn(1, 2, 70, 8); Va = rn(1, 2, 70, 5)
Qs = rn(1, 2, 70, 8)
for nm, mask, fn, params, pv, q in [
    ("mask_band", "m <= p && m >= p - w", lambda i, m: m <= i and m >= i - 3, "param w = 3\n  param scale = 0.3", {}, Qs),
    ("mask_not_diag", "m != p", lambda i, m: m != i, "param scale = rsqrt(E)", {}, Qs),
    ("mask_diag_only", "m == p", lambda i, m: m == i, "param scale = 1", {}, Qs),
    ("mask_suffix", "m >= p", lambda i, m: m >= i, "param scale = 1 / E", {}, Qa),
    ("mask_strided", "2 * m <= p + 1", lambda i, m: 2 * m <= i + 1, "param scale = 0.5", {}, Qs),
    ("mask_or_param", "m < lo || m > p + hi", lambda i, m: m < 2 or m > i + 5, "param lo\n  param hi = 5\n  param scale = 0.25", {"lo": 2}, Qs),
    ("mask_shift_causal", "m - (M - P) <= p", lambda i, m: m - (70 - 13) <= i, "param scale = 1 / sqrt(E)", {}, Qa),
    ("mask_negated", "!(m > p)", lambda i, m: not (m > i), "param scale = 1 / sqrt(E)", {}, Qs),
]:
    prog(nm, SOFTMAX.format(name=nm, params=params, mask=mask), dict(Q=q, K=Ka, V=Va),
         (lambda fn: lambda d, p: dict(AV=attn_ref(d['Q'], d['K'], d['V'], fn,
             {"mask_band": .3, "mask_not_diag": 1/np.sqrt(8), "mask_diag_only": 1, "mask_suffix": 1/8, "mask_strided": .5,
              "mask_or_param": .25, "mask_shift_causal": 1/np.sqrt(8), "mask_negated": 1/np.sqrt(8)}[p['_n']])))(fn),
         params=dict(pv, _n=nm))

# prefix sums written directly (PrefixToRecurrence candidates)
Y30 = rn(2, 75, 3)
def ref_prefix(d, p):
    y = d['Y']; B, M, F = y.shape
    inc = np.cumsum(y, axis=1); exc = inc - y
    suf = np.flip(np.cumsum(np.flip(y, 1), 1), 1)
    mx = np.maximum.accumulate(y, axis=1)
    return dict(INC=inc, EXC=exc, SUF=suf, MX=mx)
prog("prefix_sums", """
cascade pre {
  batch b
  input Y[m, f]
  output INC[p, f], EXC[p, f], SUF[p, f], MX[p, f]
  INC[p, f] = Y[m, f] + 0 * Y[p, f] where m <= p
  EXC[p, f] = Y[m, f] + 0 * Y[p, f] where m < p
  SUF[p, f] = Y[m, f] + 0 * Y[p, f] where m >= p
  MX[p, f] = Y[m, f] + 0 * Y[p, f] :: max(m) where m <= p
}
""", dict(Y=Y30), ref_prefix)

# linear attention, causal, with a feature map and a normalizer (not softmax: no max)
Q31 = ru(0, 1, 1, 2, 67, 4); K31 = ru(0, 1, 1, 2, 67, 4); V31 = rn(1, 2, 67, 3)
def ref_lin(d, p):
    q, k, v = d['Q'], d['K'], d['V']; fq = np.maximum(q, 0) + 1; fk = np.maximum(k, 0) + 1
    s = np.einsum('bhpe,bhme->bhpm', fq, fk); P = q.shape[2]
    s = s * np.tril(np.ones((P, P)))
    return dict(AV=np.einsum('bhpm,bhmf->bhpf', s, v) / s.sum(-1)[..., None])
prog("linear_causal_featmap", """
cascade lin {
  batch b, h
  input Q[p, e], K[m, e], V[m, f]
  output AV[p, f]
  FQ[p, e] = relu(Q[p, e]) + 1
  FK[m, e] = relu(K[m, e]) + 1
  S[m, p] = FQ[p, e] * FK[m, e] where m <= p
  N[p] = S[m, p]
  AV[p, f] = S[m, p] * V[m, f] / N[p]
}
""", dict(Q=Q31, K=K31, V=V31), ref_lin)

# softmax with a bias tensor and sigmoid gate; GM also an output
Q32 = rn(2, 1, 9, 4); K32 = rn(2, 1, 66, 4); V32 = rn(2, 1, 66, 4); BI = rn(9, 66)
def ref_bias(d, p):
    q, k, v, bi = d['Q'], d['K'], d['V'], d['BI']
    s = np.einsum('bhpe,bhme->bhpm', q, k) * 0.5 + bi
    gm = s.max(-1); e = np.exp(s - gm[..., None])
    av = np.einsum('bhpm,bhmf->bhpf', e / e.sum(-1)[..., None], v)
    return dict(AV=av * sigmoid(q.sum(-1))[..., None], GM=gm)
prog("softmax_bias_gate", """
cascade sb {
  batch b, h
  input Q[p, e], K[m, e], V[m, f], BI[b, h, p, m]
  output AV[p, f], GM[p]
  QK[m, p] = 0.5 * Q[p, e] * K[m, e]
  BQ[m, p] = QK[m, p] + BI[p, m]
  GM[p] = BQ[m, p] :: max(m)
  SN[m, p] = exp(BQ[m, p] - GM[p])
  SD[p] = SN[m, p]
  QS[p] = Q[p, e]
  AV[p, f] = SN[m, p] / SD[p] * V[m, f] * sigmoid(QS[p])
}
""", dict(Q=Q32, K=K32, V=V32, BI=np.broadcast_to(BI, (2, 1, 9, 66)).copy()), ref_bias)
