#!/usr/bin/env python3
"""PyTorch anchors for einc's CUDA kernels on the same inputs, in the same run.

  anchors.py inputs DIR            write q64.npy k64.npy v64.npy q128.npy ... (f32 holding bf16 values), [B, H, N, D]
  anchors.py check DIR             compare einc's outputs (out_<case>_d<D>.npy, batch 0) with an f32 reference
  anchors.py time DIR OUT [names]  time SDPA (flash, cuDNN, efficient), FlexAttention (torch.compile),
                                   torch.compile and eager on the same inputs; merge ours.csv; write OUT/results.md and .json
"""
import json, math, os, sys, time

if not (len(sys.argv) > 1 and sys.argv[1] == "table"):  # the table alone needs no torch (it runs here too)
    import numpy as np
    import torch
    import torch.nn.functional as F
    import torch._dynamo

    # every (case, D) compiles FlexAttention anew: raise dynamo's recompile limit so none falls back to eager
    for _name in ("recompile_limit", "cache_size_limit", "accumulated_recompile_limit", "accumulated_cache_size_limit"):
        if hasattr(torch._dynamo.config, _name):
            setattr(torch._dynamo.config, _name, 256)

B, H, N = 4, 16, 4096
WINDOW, CAP = 512, 50.0
CASES = ["softmax_bf16", "causal_bf16", "window512_bf16", "softcap_bf16", "softplus_l1_bf16", "softmax_f32"]
# the milestone per case: (anchor, ratio of anchor time to ours that must be reached)
TARGET = {"softmax_bf16": ("flex", 0.5), "causal_bf16": ("flex", 0.5), "window512_bf16": ("flex", 0.5),
          "softcap_bf16": ("flex", 1.0), "softplus_l1_bf16": ("compile", 2.0), "softmax_f32": ("sdpa_efficient", 1.0)}


def pairs(case):
    if case.startswith("causal"):
        return N * (N + 1) // 2
    if case.startswith("window"):
        return sum(min(p + 1, WINDOW) for p in range(N))
    return N * N


def make_inputs(d):
    g = torch.Generator(device="cpu").manual_seed(1234)
    for D in (64, 128):
        for name in "qkv":
            x = torch.randn(B, H, N, D, generator=g).to(torch.bfloat16).to(torch.float32)
            np.save(os.path.join(d, f"{name}{D}.npy"), x.numpy())


def load(d, D, dtype):
    return [torch.from_numpy(np.load(os.path.join(d, f"{n}{D}.npy"))).cuda().to(dtype) for n in "qkv"]


def mask(case, n, dev):
    p = torch.arange(n, device=dev)[:, None]
    m = torch.arange(n, device=dev)[None, :]
    if case.startswith("causal"):
        return m <= p
    if case.startswith("window"):
        return (m <= p) & (p - m < WINDOW)
    return None


def eager(case, q, k, v):
    D = q.shape[-1]
    s = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(D))
    if case.startswith("softcap"):
        s = CAP * torch.tanh(s / CAP)
    if case.startswith("softplus"):
        w = F.softplus(s.float())
        w = w / w.sum(-1, keepdim=True)
        return (w.to(q.dtype) @ v)
    mk = mask(case, q.shape[-2], q.device)
    if mk is not None:
        s = s.masked_fill(~mk, float("-inf"))
    return torch.softmax(s.float(), dim=-1).to(q.dtype) @ v


def reference(case, q, k, v):
    """f32 reference for batch 0, one head at a time (f32 arithmetic, tf32 off)."""
    torch.backends.cuda.matmul.allow_tf32 = False
    out = []
    for h in range(q.shape[1]):
        out.append(eager(case, q[0:1, h:h + 1].float(), k[0:1, h:h + 1].float(), v[0:1, h:h + 1].float()))
    return torch.cat(out, dim=1)[0]


def rel(a, b):
    a, b = a.double(), b.double()
    return ((a - b).norm() / b.norm()).item()


def check(d):
    rows = []
    for D in (64, 128):
        qkv = load(d, D, torch.float32)
        for case in CASES:
            f = os.path.join(d, f"out_{case}_d{D}.npy")
            if not os.path.exists(f):
                continue
            ours = torch.from_numpy(np.load(f)).cuda()
            ref = reference(case, *qkv)
            e = rel(ours, ref)
            tol = 1e-5 if case.endswith("f32") else 1e-2
            rows.append((case, D, e, "ok" if e < tol else "FAIL"))
            print(f"check {case:18s} D={D:<4d} rel.err {e:.3e} {'ok' if e < tol else 'FAIL'}", flush=True)
    return rows


def anchors(case, q, k, v):
    """name -> callable, for the anchors that apply to the case."""
    from torch.nn.attention import sdpa_kernel, SDPBackend
    from torch.nn.attention.flex_attention import flex_attention, create_block_mask
    out = {}
    causal = case.startswith("causal")

    def sdpa(backend):
        def f():
            with sdpa_kernel(backend):
                return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return f

    if case.startswith("softmax") or causal:
        if q.dtype == torch.bfloat16:
            out["sdpa_flash"] = sdpa(SDPBackend.FLASH_ATTENTION)
            out["sdpa_cudnn"] = sdpa(SDPBackend.CUDNN_ATTENTION)
        out["sdpa_efficient"] = sdpa(SDPBackend.EFFICIENT_ATTENTION)
    flex = torch.compile(flex_attention)
    score_mod, block_mask = None, None
    if causal:
        block_mask = create_block_mask(lambda b, h, qi, ki: qi >= ki, None, None, N, N)
    if case.startswith("window"):
        block_mask = create_block_mask(lambda b, h, qi, ki: (qi >= ki) & (qi - ki < WINDOW), None, None, N, N)
    if case.startswith("softcap"):
        def score_mod(s, b, h, qi, ki):
            return CAP * torch.tanh(s / CAP)
    if not case.startswith("softplus"):
        out["flex"] = lambda: flex(q, k, v, score_mod=score_mod, block_mask=block_mask)
    if case.startswith("softplus"):
        comp = torch.compile(lambda a, b_, c: eager(case, a, b_, c))
        out["compile"] = lambda: comp(q, k, v)
    out["eager"] = lambda: eager(case, q, k, v)
    return out


def timed(fn):
    import triton.testing
    fn()
    torch.cuda.synchronize()
    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median")


def time_all(d, outdir, only):
    ours = {}
    p = os.path.join(d, "ours.csv")
    if os.path.exists(p):
        for line in open(p).read().splitlines()[1:]:
            c, D, ms = line.split(",")
            ours[(c, int(D))] = float(ms)
    checks = {(c, D): (e, v) for c, D, e, v in check(d)}
    results = []
    for D in (64, 128):
        for case in CASES:
            if only and case not in only:
                continue
            dtype = torch.float32 if case.endswith("f32") else torch.bfloat16
            q, k, v = load(d, D, dtype)
            flops = 4.0 * B * H * D * pairs(case)
            row = {"case": case, "D": D, "flops": flops, "anchors": {}}
            if (case, D) in ours:
                row["ours_ms"] = ours[(case, D)]
            if (case, D) in checks:
                row["ours_err"], row["ours_check"] = checks[(case, D)]
            for name, fn in anchors(case, q, k, v).items():
                t0 = time.time()
                try:
                    ms = timed(fn)
                    row["anchors"][name] = ms
                    print(f"time {case:18s} D={D:<4d} {name:15s} {ms:8.3f} ms {flops / ms / 1e9:7.1f} TFLOP/s ({time.time() - t0:.0f}s)", flush=True)
                except Exception as ex:  # an anchor that does not run is reported, not fatal
                    row["anchors"][name] = None
                    print(f"time {case:18s} D={D:<4d} {name:15s} failed: {type(ex).__name__}: {str(ex)[:200]}", flush=True)
            results.append(row)
            del q, k, v
            torch.cuda.empty_cache()
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    md = table(results)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(md)
    print(md)


def table(results):
    def tf(flops, ms):
        return f"{flops / ms / 1e9:.1f}" if ms else "-"
    names = ["sdpa_flash", "sdpa_cudnn", "sdpa_efficient", "flex", "compile", "eager"]
    lines = ["| case | D | einc ms | einc TFLOP/s | einc rel. err | " + " | ".join(f"{n} TFLOP/s" for n in names)
             + " | milestone | ratio | met |",
             "|" + "---|" * (5 + len(names) + 3)]
    for r in results:
        ms = r.get("ours_ms")
        cells = [r["case"], str(r["D"]), f"{ms:.3f}" if ms else "-", tf(r["flops"], ms),
                 f"{r['ours_err']:.1e}" if "ours_err" in r else "-"]
        for n in names:
            cells.append(tf(r["flops"], r["anchors"].get(n)) if n in r["anchors"] else "")
        anchor, need = TARGET[r["case"]]
        a = r["anchors"].get(anchor)
        ratio = a / ms if (a and ms) else None
        cells += [f">= {need}x {anchor}", f"{ratio:.2f}x" if ratio else "-", ("yes" if ratio >= need else "no") if ratio else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Ratios against every anchor (anchor time / einc time):")
    lines.append("")
    for r in results:
        ms = r.get("ours_ms")
        if not ms:
            continue
        parts = [f"{n} {a / ms:.2f}x" for n, a in r["anchors"].items() if a]
        lines.append(f"- {r['case']} D={r['D']}: " + ", ".join(parts))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "inputs":
        make_inputs(sys.argv[2])
    elif cmd == "check":
        check(sys.argv[2])
    elif cmd == "time":
        time_all(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == "table":  # anchors.py table RESULTS.json OURS.csv: the table again with other einc timings
        res = json.load(open(sys.argv[2]))
        for line in open(sys.argv[3]).read().splitlines()[1:]:
            c, D, ms = line.split(",")
            for r in res:
                if r["case"] == c and r["D"] == int(D):
                    r["ours_ms"] = float(ms)
        print(table(res))
