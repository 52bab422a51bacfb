#!/usr/bin/env bash
# README command 2: runs every test of every module.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIMAN_ROOT"
siman_install_packages
mvn -B -ntp install "$@"
