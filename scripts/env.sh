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
