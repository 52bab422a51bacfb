# Sourced by the project's scripts: Java 25, Maven options, and the system packages the project needs.
SIMAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JAVA_HOME="${SIMAN_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# the line of 'java -version' that names the version (JAVA_TOOL_OPTIONS puts a "Picked up ..." line before it)
if [ ! -x "$JAVA_HOME/bin/java" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -Eq ' version "(2[5-9]|[3-9][0-9])[."]'; then
  echo "error: Java 25 is required and was not found at $JAVA_HOME (set SIMAN_JAVA_HOME to a Java 25 JDK)" >&2
  exit 1
fi
export PATH="$JAVA_HOME/bin:$PATH"
# Maven's own Guava touches sun.misc.Unsafe; on Java 25 that prints warnings unless allowed.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

# Debian packages: the Fashion-MNIST data, an OpenCL loader and PoCL's CPU device (the GPU backend's tests), Maven.
SIMAN_APT_PACKAGES=(dataset-fashion-mnist ocl-icd-libopencl1 pocl-opencl-icd maven)

siman_install_packages() {
  local missing=()
  for p in "${SIMAN_APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "error: missing packages ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
      return 1
    fi
  fi
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# TornadoVM, for the 'tornado' backend (docs/tornadovm.md): TORNADOVM_HOME when it is set; otherwise the SDK kept
# beside the checkout (../shared/tornadovm, as on this project's machines), unpacked once into a cache outside the
# repository. Without either, the tornado backend is not built (one line says so) and everything else is unchanged.
siman_tornadovm() {
  if [ -z "${TORNADOVM_HOME:-}" ]; then
    local sdk=""
    for f in "$SIMAN_ROOT"/../shared/tornadovm/tornadovm-*-opencl-linux-amd64.tar.gz; do [ -f "$f" ] && sdk="$f"; done
    if [ -z "$sdk" ]; then
      echo "TornadoVM: not installed (TORNADOVM_HOME is unset and there is no SDK in ../shared/tornadovm): the tornado backend is skipped"
      return 0
    fi
    local name cache="${XDG_CACHE_HOME:-$HOME/.cache}/siman"
    name="$(basename "$sdk" -linux-amd64.tar.gz)"
    if [ ! -d "$cache/$name" ]; then
      mkdir -p "$cache"
      tar -xzf "$sdk" -C "$cache"
    fi
    export TORNADOVM_HOME="$cache/$name"
  fi
  # the argfile names the installation's own paths: written from TornadoVM's template
  if [ ! -f "$TORNADOVM_HOME/tornado-argfile" ] && [ -f "$TORNADOVM_HOME/tornado-argfile.template" ]; then
    sed "s|\${TORNADOVM_HOME}|$TORNADOVM_HOME|g" "$TORNADOVM_HOME/tornado-argfile.template" > "$TORNADOVM_HOME/tornado-argfile"
  fi
  echo "TornadoVM: $TORNADOVM_HOME (the tornado backend is built and tested)"
}
