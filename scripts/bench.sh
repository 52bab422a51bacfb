#!/usr/bin/env bash
# Kernel benchmarks (JMH) of the CPU backend against ND4J, side by side in one run, with the ratios printed at
# the end. Arguments go to io.siman.bench.BenchMain: [--threads 2] [--batch 64] [--quick] [--layers A,B] [--json F]
# 'bench.sh onnx-runtime [...]' instead runs the bitwise engine against ONNX Runtime's FP32 model of the same
# architecture (io.siman.bench.OnnxRuntimeComparison: [--models resnet20,vgg-small] [--batches 1,64] [--threads 1,2]).
# 'bench.sh authors-training [ROUNDS]' times ResNet-20 training steps of 'siman bench --train' and of the SiMaN authors'
# PyTorch code (scripts/fixtures/authors_training_speed.py; needs python3-torch), alternating, and prints the ratios.
# SIMAN_BENCH_JAVA_OPTS=-XX:UseAVX=2 runs our AVX2 path, and then PyTorch's (ATEN_CPU_CAPABILITY=avx2, DNNL_MAX_CPU_ISA=AVX2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIMAN_ROOT"
if [ "${1:-}" = "authors-training" ]; then
  rounds="${2:-3}"
  python=/usr/bin/python3
  "$python" -c "import torch" 2>/dev/null || { echo "error: PyTorch is missing (apt-get install python3-torch)" >&2; exit 1; }
  torch_env=()
  if [[ " ${SIMAN_BENCH_JAVA_OPTS:-} " == *" -XX:UseAVX=2 "* ]]; then
    torch_env=(ATEN_CPU_CAPABILITY=avx2 DNNL_MAX_CPU_ISA=AVX2)
  fi
  rate() { sed -n 's/.*"train_images_per_second": \([0-9.]*\).*/\1/p'; }
  for ((r = 1; r <= rounds; r++)); do
    ours_json="$(SIMAN_JAVA_OPTS="${SIMAN_BENCH_JAVA_OPTS:-}" ./siman bench --train --model resnet20 --batch 256 --threads 2 \
      --steps 15 --warmup 5 --json --quiet)"
    theirs_json="$(env "${torch_env[@]}" OMP_NUM_THREADS=2 "$python" scripts/fixtures/authors_training_speed.py --threads 2 \
      --batch 256 --steps 15 --warmup 5)"
    if [ "$r" = 1 ]; then
      echo "siman:   $ours_json"
      echo "pytorch: $theirs_json"
    fi
    ours="$(rate <<< "$ours_json")" theirs="$(rate <<< "$theirs_json")"
    awk -v r="$r" -v o="$ours" -v t="$theirs" 'BEGIN { printf "round %d: authors'"'"' PyTorch %.1f images/s, SiMaN-J %.1f images/s, ratio %.2fx\n", r, t, o, o / t }'
  done
  exit 0
fi
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
