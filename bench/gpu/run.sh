#!/bin/bash
# One call of the GPU machine: correctness of every example against the reference interpreter,
# compute-sanitizer, then einc's kernels timed against PyTorch on the same inputs.
# Built here by bench/gpu/build.sh into .gpu/ (jlink runtime, jars, classes, AOT cubins, this script);
# run there from the checkout root as:  bash .gpu/bench/run.sh STAGE...   (stages: aot check ours anchors; default check ours anchors)
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}
export PYTHONUNBUFFERED=1
STAGES=" ${*:-check ours anchors} "
OUT=${OUT:-/tmp/einc_out}
DATA=/tmp/einc_bench
G=.gpu
mkdir -p "$OUT" "$DATA"
JAVA=("$G/jre/bin/java" --enable-native-access=ALL-UNNAMED -Xmx24g -Deinc.cache=/tmp/einc_cache -cp "$G/lib/*:$G/classes")
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv | tee "$OUT/gpu.txt"
date -u | tee -a "$OUT/gpu.txt"
start=$(date +%s)
has() { [[ "$STAGES" == *" $1 "* ]]; }
if has aot; then   # a quick call: the AOT cubins against the reference interpreter, no NVRTC, no sanitizer
  echo "== correctness (AOT cubins from nvcc)"
  "${JAVA[@]}" einc.codegen.cuda.GpuCheck check "$G/aot" "$G/examples" 2>&1 | tee "$OUT/check.txt" | grep -vE " ok$"
fi
if has check; then
  echo "== correctness (AOT cubins from nvcc)"
  "${JAVA[@]}" einc.codegen.cuda.GpuCheck check "$G/aot" "$G/examples" 2>&1 | tee "$OUT/check.txt"
  echo "== correctness through NVRTC"
  "${JAVA[@]}" einc.codegen.cuda.GpuCheck jit 2>&1 | tee -a "$OUT/check.txt"
  echo "== compute-sanitizer (memcheck), one run of each example ($(( $(date +%s) - start ))s so far)"
  timeout ${SANITIZER_TIMEOUT:-150} compute-sanitizer --tool memcheck --print-limit 20 "${JAVA[@]}" einc.codegen.cuda.GpuCheck sanitize "$G/aot" "$G/examples" > "$OUT/sanitizer.txt" 2>&1
  echo "sanitizer exit $?"; grep -E "ERROR SUMMARY|Invalid|FAIL|passed" "$OUT/sanitizer.txt" | tail -5
fi
if has ours; then
  echo "== inputs ($(( $(date +%s) - start ))s so far)"
  python3 "$G/bench/anchors.py" inputs "$DATA"
  echo "== einc timings"
  # every other build carried as .gpu/aot_LABEL or .gpu/builds/LABEL (an earlier commit, other tunings) is timed beside it
  PREV=(); for d in "$G"/aot_*; do [ -d "$d" ] && PREV+=("${d##*/aot_}=$d"); done
  for d in "$G"/builds/*; do [ -d "$d" ] && PREV+=("${d##*/}=$d"); done
  "${JAVA[@]}" einc.codegen.cuda.GpuBench "$DATA" "$G/aot" "${PREV[@]}" 2>&1 | tee "$OUT/ours.txt"
  cp "$DATA/ours.csv" "$DATA/builds.csv" "$OUT/" 2>/dev/null
  has anchors || python3 "$G/bench/anchors.py" check "$DATA" 2>&1 | tee "$OUT/ours_check.txt"
fi
if has anchors; then
  echo "== anchors ($(( $(date +%s) - start ))s so far)"
  timeout ${ANCHOR_TIMEOUT:-420} python3 "$G/bench/anchors.py" time "$DATA" "$OUT" 2>&1 | tee "$OUT/anchors.txt"
fi
echo "done in $(( $(date +%s) - start ))s"
