#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs the main job.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIMAN_ROOT"
siman_install_packages
echo "building (tests skipped; scripts/test.sh runs them)..."
mvn -B -q -ntp install -DskipTests
echo
echo "main job: the backends found on this machine (training arrives with the training issue)"
./siman backends
