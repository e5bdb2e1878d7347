#!/usr/bin/env bash
# The CPU runs of record, paired: for each round and case, einc's JVM and LLVM kernels and both
# ONNX Runtime operators run in one JMH invocation (one fork each, back to back), so that every
# ratio compares measurements made within a minute of each other. The hand-written Vector API
# attention (AttentionBench.handVector) runs with them. The machine drifts 10-30%
# over minutes; one JMH run of all cases spreads a case's forks over ~3 minutes.
#   bash bench/cpu-pairs.sh [ROUNDS] [OUT_DIR]    (from the repository root, after
#   mvn -q -B -pl bench -am package -DskipTests)
set -euo pipefail
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
export PATH="$JAVA_HOME/bin:$PATH"
rounds=${1:-3}
out=${2:-bench/pairs-$(date -u +%Y-%m-%d-%H%M)}
jar=bench/target/benchmarks.jar
[ -f "$jar" ] || { echo "no $jar: run mvn -q -B -pl bench -am package -DskipTests first" >&2; exit 1; }
mkdir -p "$out"
cases="8x1024x64 8x4096x64 8x4096x64-causal 16x2048x128"
for r in $(seq "$rounds"); do
  for c in $cases; do
    echo "round $r of $rounds: $c" >&2
    java -jar "$jar" 'AttentionBench.(einc|handVector)$|LlvmBench|OrtBench' -p shape="$c" -wi 30 -i 10 -f 1 \
      -rf json -rff "$out/r$r-$c.json" > "$out/r$r-$c.log" 2>&1
  done
done
java -cp "$jar" einc.bench.PairsReport "$out"/r*.json | tee "$out/summary.md"
