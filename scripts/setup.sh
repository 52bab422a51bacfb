#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs the main job: trains the default SiMaN
# model (ResNet-20, 1 bit weights and activations) on Fashion-MNIST and evaluates the checkpoint.
# SIMAN_MAIN_EPOCHS and SIMAN_MAIN_LIMIT size the job (default: 2 epochs on 30000 images, ~10 min on 2 cores).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIMAN_ROOT"
siman_install_packages
echo "building (tests skipped; scripts/test.sh runs them)..."
mvn -B -q -ntp install -DskipTests
echo
./siman backends
echo
out="runs/main-resnet20-siman"
./siman train --model resnet20 --dataset fashion-mnist --binarizer siman \
  --epochs "${SIMAN_MAIN_EPOCHS:-2}" --limit "${SIMAN_MAIN_LIMIT:-30000}" --out "$out" --overwrite
echo
./siman eval --checkpoint "$out/best.ckpt"
