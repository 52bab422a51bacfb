#!/usr/bin/env bash
# Kernel benchmarks (JMH) of the CPU backend against ND4J, side by side in one run, with the ratios printed at
# the end. Arguments go to io.siman.bench.BenchMain: [--threads 2] [--batch 64] [--quick] [--layers A,B] [--json F]
# 'bench.sh onnx-runtime [...]' instead runs the bitwise engine against ONNX Runtime's FP32 model of the same
# architecture (io.siman.bench.OnnxRuntimeComparison: [--models resnet20,vgg-small] [--batches 1,64] [--threads 1,2]).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIMAN_ROOT"
if [ ! -d siman-bench/target/lib ] || [ ! -d siman-bench/target/classes/META-INF ]; then
  echo "building siman-bench (tests skipped)..."
  mvn -B -q -ntp install -DskipTests -pl siman-bench -am
fi
threads=2
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = "--threads" ]; then threads="${args[$((i + 1))]}"; fi
done
# OpenBLAS and libnd4j read their thread counts from the environment when they load.
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads"
main=io.siman.bench.BenchMain
if [ "${1:-}" = "onnx-runtime" ]; then
  main=io.siman.bench.OnnxRuntimeComparison
  shift
fi
exec "$JAVA_HOME/bin/java" ${SIMAN_BENCH_JAVA_OPTS:-} --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  --sun-misc-unsafe-memory-access=allow -cp "siman-bench/target/classes:siman-bench/target/lib/*" \
  "$main" "$@"
