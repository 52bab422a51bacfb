#!/usr/bin/env bash
# README command 2: runs every test of every module.
#
# On a machine with AVX-512 it then runs the modules whose results depend on the CPU's vector path a second
# time with -XX:UseAVX=2 (256-bit vectors, no VPOPCNTQ: the path of an AVX2-only machine), so that both paths
# are tested wherever the suite runs. SIMAN_TEST_AVX2=0 skips that pass; SIMAN_TEST_AVX2=only runs only it
# (after an earlier install). Arguments go to Maven, in both passes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIMAN_ROOT"
siman_install_packages
siman_tornadovm

# The modules whose tests take the CPU backend's vector path (kernels, training, Spark, the CLI).
AVX2_MODULES=siman-backend-cpu,siman-models,siman-spark,siman-cli

cpu_flags() { grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' | grep -x -E 'avx2|avx512f|avx512_vpopcntdq' | tr '\n' ' '; }
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'); flags: $(cpu_flags)"

mode="${SIMAN_TEST_AVX2:-1}"
if [ "$mode" != "only" ]; then
  mvn -B -ntp install "$@"
fi
if [ "$mode" = "0" ]; then
  exit 0
fi
if grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | grep -qw avx512f; then
  echo
  echo "second pass: $AVX2_MODULES with -XX:UseAVX=2 (the AVX2 path of this AVX-512 machine)"
  mvn -B -ntp test -pl "$AVX2_MODULES" -Dsiman.test.flags=-XX:UseAVX=2 "$@"
else
  echo "no AVX-512 on this machine: the first pass already ran the AVX2 (or plain) path; no second pass"
fi
