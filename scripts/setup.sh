#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs the main job: trains the default SiMaN
# model (ResNet-20, 1-bit weights and activations) on Fashion-MNIST, exports it with 1-bit weights,
# evaluates it as a float simulation and bitwise, and measures the bitwise speed-up.
# SIMAN_MAIN_EPOCHS and SIMAN_MAIN_LIMIT size the job (default: 2 epochs on 30000 images, ~10 min on 2 cores).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIMAN_ROOT"
siman_install_packages
siman_tornadovm
echo "building (tests skipped; scripts/test.sh runs them)..."
mvn -B -q -ntp install -DskipTests -pl '!siman-bench'   # the ND4J benchmarks: scripts/bench.sh builds them
echo
./siman backends
echo
out="runs/main-resnet20-siman"
./siman train --model resnet20 --dataset fashion-mnist --binarizer siman \
  --epochs "${SIMAN_MAIN_EPOCHS:-2}" --limit "${SIMAN_MAIN_LIMIT:-30000}" --out "$out" --overwrite
echo
./siman export --checkpoint "$out/best.ckpt" --out "$out/model.siman"
echo
./siman eval --checkpoint "$out/best.ckpt"
./siman eval --model-file "$out/model.siman"
echo
./siman bench --model-file "$out/model.siman" --batches 1,64 --seconds 2 --quiet
