#!/bin/bash
# Builds, on this machine, everything bench/gpu/run.sh needs on the GPU machine into DEST (default
# /work/main/.gpu, the lead's checkout that the device tool sends): a jlink runtime, the JavaCPP
# jars, einc's classes, the AOT cubins of every example (nvcc, sm_90) and the bench scripts.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST=${1:-/work/main/.gpu}
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
R=$HOME/.m2/repository/org/bytedeco
cd "$ROOT"
export JAVA_HOME=$JDK
mvn -q -B -o -pl codegen/cuda -am test-compile
mkdir -p "$DEST/lib" "$DEST/classes" "$DEST/bench"
[ -x "$DEST/jre/bin/java" ] || "$JDK/bin/jlink" --add-modules java.base,java.logging,jdk.unsupported \
  --compress zip-9 --strip-debug --no-header-files --no-man-pages --output "$DEST/jre"
cp "$R/javacpp/1.5.13/javacpp-1.5.13.jar" "$R/javacpp/1.5.13/javacpp-1.5.13-linux-x86_64.jar" \
   "$R/cuda/13.1-9.19-1.5.13/cuda-13.1-9.19-1.5.13.jar" "$R/cuda/13.1-9.19-1.5.13/cuda-13.1-9.19-1.5.13-linux-x86_64.jar" "$DEST/lib/"
rm -rf "$DEST/classes"/*
for d in ir/target/classes testing/target/classes grammar/target/classes frontend/target/classes runtime/target/classes codegen/cuda/target/classes codegen/cuda/target/test-classes; do cp -r "$d"/. "$DEST/classes/"; done
ANTLR=$(find "$HOME/.m2/repository/org/antlr/antlr4-runtime" -name 'antlr4-runtime-4.13.2.jar' | head -1)
cp "$ANTLR" "$DEST/lib/"
# the .ein examples: this checkout's, plus any folders named in EXTRA_EXAMPLES (a snapshot of work not yet in main)
rm -rf "$DEST/examples"; mkdir -p "$DEST/examples/main"; cp -r examples/. "$DEST/examples/main/"
rm -rf "$DEST/examples/main/src" "$DEST/examples/main/target"   # test data (QA programs), not examples
for x in ${EXTRA_EXAMPLES:-}; do mkdir -p "$DEST/examples/extra"; cp "$x"/*.ein "$DEST/examples/extra/"; done
cp bench/gpu/run.sh bench/gpu/anchors.py "$DEST/bench/"
CP="$DEST/classes:$R/cuda/13.1-9.19-1.5.13/cuda-13.1-9.19-1.5.13.jar:$R/javacpp/1.5.13/javacpp-1.5.13.jar:$ANTLR"
# unchanged kernels (same source) are kept from the last build
"$JDK/bin/java" -cp "$CP" einc.codegen.cuda.AotBuild "$DEST/aot" 2 "$DEST/examples"
rm -f "$DEST"/aot/*/kernel.ptx   # keep the carried tree small; the cubin is what runs
du -sh "$DEST"
