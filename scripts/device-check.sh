#!/usr/bin/env bash
# Checks the GPU backend on a real GPU machine that has no JDK and no network (the workplace's device machine).
#
#   bash scripts/device-check.sh --prepare   here: builds the project and packs .device/bundle.tgz (~37 MB):
#                                            a jlink Java 25 runtime, the CLI and its jars, the GPU contract
#                                            tests with a JUnit console launcher, the OpenCL ICD loader, a
#                                            small trained model and a 6000-image Fashion-MNIST subset
#   bash scripts/device-check.sh --run       there (from the repository root, with .device carried): unpacks
#                                            the bundle, registers the NVIDIA OpenCL driver if no ICD file names
#                                            it, then runs the contract suite on the GPU, training steps of
#                                            resnet20 at batch 256 and bitwise inference, each on the GPU and on
#                                            the CPU backend side by side; results go to $OUT (or .device/out).
#                                            Where TORNADOVM_HOME was set at --prepare (scripts/env.sh sets it from
#                                            ../shared/tornadovm), the bundle also holds TornadoVM's runtime and the
#                                            tornado backend, and --run checks it the same way
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dev="$root/.device"

prepare() {
  source "$root/scripts/env.sh"
  cd "$root"
  siman_install_packages
  echo "building..."
  siman_tornadovm
  mvn -B -q -ntp install -DskipTests
  local console=org.junit.platform:junit-platform-console-standalone:1.14.1
  local stage="$dev/bundle"
  rm -rf "$stage" "$dev/bundle.tgz"
  mkdir -p "$stage/app" "$stage/tests" "$stage/native" "$stage/data"

  echo "linking a Java runtime..."
  # What the CLI's train, eval, bench and backends need: java.logging (Guice, JOCL), jdk.unsupported (Guava),
  # jdk.incubator.vector (the CPU backend's vectorized kernels), java.management (JUnit's launcher). Left out:
  # java.desktop (only 'plot' and PNG input use it). Uncompressed modules and a stripped libjvm make the
  # smallest archive (gzip does better than jlink's own compression); class-data archives only speed start-up.
  # TornadoVM also needs JVMCI and jdk.management (its Graal compiler's modules require them)
  local modules=java.base,java.logging,java.management,jdk.unsupported,jdk.incubator.vector
  [ -n "${TORNADOVM_HOME:-}" ] && modules="$modules,jdk.internal.vm.ci,jdk.management"
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" \
    --strip-debug --no-header-files --no-man-pages --compress zip-0 --output "$stage/jre"
  rm -f "$stage"/jre/lib/server/*.jsa
  if command -v strip >/dev/null; then strip --strip-unneeded "$stage/jre/lib/server/libjvm.so"; fi
  cp siman-cli/target/siman-cli.jar "$stage/app/"
  cp -r siman-cli/target/lib "$stage/app/lib"

  cp -r siman-backend-gpu/target/test-classes "$stage/tests/classes"
  cp siman-testkit/target/siman-testkit-*.jar "$stage/tests/"
  mvn -B -q -ntp dependency:copy -Dartifact="$console" -DoutputDirectory="$stage/tests"

  if [ -n "${TORNADOVM_HOME:-}" ]; then
    # TornadoVM's runtime without what this check never loads (the CUDA libraries' bindings, benchmarks, examples,
    # TornadoVM's own tests, Truffle's API), to stay within the 64 MiB the device tool carries; measured on PoCL:
    # 'eval --backend tornado' runs with exactly this
    mkdir -p "$stage/tornadovm/share/java" "$stage/tornado-tests"
    cp -r "$TORNADOVM_HOME/lib" "$TORNADOVM_HOME/tornado-argfile.template" "$stage/tornadovm/"
    mkdir -p "$stage/tornadovm/share/java/graalJars"
    for j in "$TORNADOVM_HOME"/share/java/graalJars/*.jar; do
      case "$(basename "$j")" in truffle-api-*) ;; *) cp "$j" "$stage/tornadovm/share/java/graalJars/" ;; esac
    done
    mkdir -p "$stage/tornadovm/share/java/tornado"
    for j in "$TORNADOVM_HOME"/share/java/tornado/*.jar; do
      case "$(basename "$j")" in
        tornado-cu*|tornado-benchmarks*|tornado-examples*|tornado-unittests*|tornado-fuzz*|tornado-matrices*|jmh-*|junit-*|hamcrest-*|lucene-*|ejml-*) ;;
        *) cp "$j" "$stage/tornadovm/share/java/tornado/" ;;
      esac
    done
    cp siman-backend-tornado/target/siman-backend-tornado.jar "$stage/app/"
    cp -r siman-backend-tornado/target/test-classes "$stage/tornado-tests/classes"
  fi

  # The ICD loader: JOCL opens libOpenCL, which a driver-only image may lack.
  cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$stage/native/"
  ln -s libOpenCL.so.1 "$stage/native/libOpenCL.so"

  echo "writing a Fashion-MNIST subset..."
  /usr/bin/env python3 - "$stage/data" <<'PY'
import gzip, struct, sys, shutil
src, dst = "/usr/share/datasets/fashion-mnist", sys.argv[1]
def subset(name, count):
    with gzip.open(f"{src}/{name}.gz", "rb") as f:
        data = f.read()
    dims = data[3]
    shape = list(struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims]))
    per = 1
    for d in shape[1:]:
        per *= d
    shape[0] = min(count, shape[0])
    head = data[:4] + struct.pack(">" + "I" * dims, *shape)
    with gzip.open(f"{dst}/{name}.gz", "wb") as f:
        f.write(head + data[4 + 4 * dims:4 + 4 * dims + shape[0] * per])
for prefix, n in (("train", 6000), ("t10k", 10000)):
    subset(f"{prefix}-images-idx3-ubyte", n)
    subset(f"{prefix}-labels-idx1-ubyte", n)
PY

  echo "training a small model for the bitwise comparison..."
  ./siman train --model resnet20 --binarizer siman --epochs 1 --limit 6000 --data-dir "$stage/data" \
    --backend cpu --quiet --out "$dev/model-run" --overwrite >/dev/null
  ./siman export --checkpoint "$dev/model-run/best.ckpt" --out "$stage/data/resnet20-siman.siman" >/dev/null

  (cd "$dev" && tar -czf bundle.tgz bundle)
  rm -rf "$stage" "$dev/model-run"
  echo "ready: $dev/bundle.tgz ($(du -h "$dev/bundle.tgz" | cut -f1)); on the device: bash scripts/device-check.sh --run (carry .device)"
}

run() {
  local out="${OUT:-$dev/out}"
  mkdir -p "$out"
  [ -f "$dev/bundle.tgz" ] || { echo "error: $dev/bundle.tgz is missing; run --prepare first and carry .device" >&2; exit 1; }
  local work=/tmp/siman-device
  rm -rf "$work" && mkdir -p "$work" && tar -xzf "$dev/bundle.tgz" -C "$work"
  local b="$work/bundle"
  export JAVA_HOME="$b/jre"
  export LD_LIBRARY_PATH="$b/native${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # As in ./siman: a CPU OpenCL driver (PoCL, for a rehearsal here) must not displace the JVM's signal handlers.
  export POCL_SIGFPE_HANDLER=0
  [ -f "$JAVA_HOME/lib/libjsig.so" ] && export LD_PRELOAD="$JAVA_HOME/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"

  # NVIDIA's OpenCL driver is libnvidia-opencl.so.1; containers often mount it without /etc/OpenCL/vendors.
  if ! grep -qs nvidia /etc/OpenCL/vendors/*.icd; then
    local lib
    lib="$(ldconfig -p | awk '/libnvidia-opencl\.so\.1/ {print $NF; exit}')"
    [ -n "$lib" ] || lib="$(find / -xdev -name 'libnvidia-opencl.so.1' 2>/dev/null | head -n 1)"
    if [ -n "$lib" ]; then
      mkdir -p "$work/vendors" && echo "$lib" > "$work/vendors/nvidia.icd"
      export OCL_ICD_VENDORS="$work/vendors"
      echo "registered the NVIDIA OpenCL driver: $lib"
    else
      echo "warning: no libnvidia-opencl.so.1 found; OpenCL may see no GPU" >&2
    fi
  fi
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee "$out/gpu.txt" || true

  local java=(
    "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
    --sun-misc-unsafe-memory-access=allow -Xmx16g)
  local cp="$b/app/siman-cli.jar:$b/app/lib/*"
  siman() { "${java[@]}" -cp "$cp" io.siman.cli.Main "$@"; }
  local status=0

  echo "== backends"
  siman backends | tee "$out/backends.txt"
  siman backends --json > "$out/backends.json"

  echo "== contract suite on the GPU"
  "${java[@]}" -jar "$b"/tests/junit-platform-console-standalone-*.jar execute \
    -cp "$b/tests/classes:$(printf '%s:' "$b"/tests/siman-testkit-*.jar "$b"/app/siman-cli.jar "$b"/app/lib/*.jar)" \
    --select-class io.siman.backend.gpu.OpenClKernelsContractTest --details=summary --disable-banner --fail-if-no-tests \
    2>&1 | tee "$out/contract.txt" || status=1

  echo "== training steps: resnet20, batch 256"
  for backend in gpu cpu; do
    siman bench --train --model resnet20 --binarizer siman --batch 256 --steps 10 --warmup 3 \
      --data-dir "$b/data" --backend "$backend" --quiet --json > "$out/train-$backend.json" || status=1
    cat "$out/train-$backend.json"; echo
  done

  echo "== bitwise inference"
  for backend in gpu cpu; do
    siman bench --model-file "$b/data/resnet20-siman.siman" --batches 1,64,256 --seconds 3 \
      --backend "$backend" --quiet --json > "$out/bitwise-$backend.json" || status=1
    cat "$out/bitwise-$backend.json"; echo
    siman eval --model-file "$b/data/resnet20-siman.siman" --data-dir "$b/data" --backend "$backend" --json \
      > "$out/eval-$backend.json" || status=1
    cat "$out/eval-$backend.json"; echo
  done
  if [ -d "$b/tornadovm" ]; then
    echo "== the tornado backend (TornadoVM)"
    local th="$b/tornadovm"
    sed "s|\${TORNADOVM_HOME}|$th|g" "$th/tornado-argfile.template" > "$th/tornado-argfile"
    local tjava=("${java[@]:0:1}" "@$th/tornado-argfile" "${java[@]:1}")
    local tcp="$cp:$b/app/siman-backend-tornado.jar"
    tsiman() { "${tjava[@]}" -cp "$tcp" io.siman.cli.Main "$@"; }
    tsiman backends | tee "$out/tornado-backends.txt"
    # on the JVM's class path, not the launcher's: TornadoVM reads the kernels' class files through the system loader
    "${tjava[@]}" -cp "$(printf '%s:' "$b"/tests/junit-platform-console-standalone-*.jar "$b/tornado-tests/classes" "$b"/tests/siman-testkit-*.jar \
      "$b"/app/siman-backend-tornado.jar "$b"/app/siman-cli.jar "$b"/app/lib/*.jar)" org.junit.platform.console.ConsoleLauncher execute \
      --select-class io.siman.backend.tornado.TornadoKernelsContractTest --details=summary --disable-banner --fail-if-no-tests \
      2>&1 | tee "$out/tornado-contract.txt" || status=1
    tsiman bench --train --model resnet20 --binarizer siman --batch 256 --steps 5 --warmup 2 --per-kernel \
      --data-dir "$b/data" --backend tornado --quiet > "$out/train-tornado.txt" 2>&1 || status=1
    cat "$out/train-tornado.txt"
    tsiman bench --model-file "$b/data/resnet20-siman.siman" --batches 1,64,256 --seconds 3 \
      --backend tornado --quiet --json > "$out/bitwise-tornado.json" || status=1
    cat "$out/bitwise-tornado.json"; echo
    tsiman eval --model-file "$b/data/resnet20-siman.siman" --data-dir "$b/data" --backend tornado --json \
      > "$out/eval-tornado.json" || status=1
    cat "$out/eval-tornado.json"; echo
  fi
  return $status
}

case "${1:-}" in
  --prepare) prepare ;;
  --run) run ;;
  *) echo "usage: bash scripts/device-check.sh --prepare | --run" >&2; exit 2 ;;
esac
