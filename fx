#!/usr/bin/env bash
# fx: fx4j's command-line tool. Builds itself with Maven on first use (and after source changes).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CP_FILE="$ROOT/examples/target/classpath.txt"
STAMP="$ROOT/examples/target/.fx-built"
stale() {
  [ ! -f "$CP_FILE" ] || [ ! -f "$STAMP" ] && return 0
  [ -n "$(find "$ROOT/pom.xml" "$ROOT"/*/pom.xml "$ROOT"/fx-core/src/main "$ROOT"/fx-models/src/main "$ROOT"/fx-detection/src/main \
          "$ROOT"/examples/src/main -newer "$STAMP" -print -quit 2>/dev/null)" ]
}
if stale; then
  echo "fx: building fx4j (first use or sources changed; this takes a minute)..." >&2
  LOG="$(mktemp)"
  if ! (cd "$ROOT" && mvn -B -Dstyle.color=never -DskipTests -pl examples -am package) >"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "fx: the build failed (log above)" >&2
    exit 1
  fi
  rm -f "$LOG"
  touch "$STAMP"
fi
# glibc's allocator, as configured by default, hands the memory of freed tensors back to the system
# (whole per-thread heaps, and the top of the main heap) and page-faults it in again on the next pass:
# ResNet-50 passes 1.6-4.3x as long here (README, "Native memory and speed"). One arena that keeps freed
# memory and takes every block from its heap (none mapped on its own) avoids it. FX_MALLOC=default, or
# any of the variables below or a glibc.malloc tunable set by the caller, leaves glibc as configured.
malloc_set="${MALLOC_ARENA_MAX:-}${MALLOC_ARENA_TEST:-}${MALLOC_MMAP_THRESHOLD_:-}${MALLOC_TRIM_THRESHOLD_:-}${MALLOC_TOP_PAD_:-}${MALLOC_MMAP_MAX_:-}"
case "${GLIBC_TUNABLES:-}" in *glibc.malloc.*) malloc_set="${malloc_set}tunables" ;; esac
if [ "${FX_MALLOC:-tuned}" != "default" ] && [ -z "$malloc_set" ]; then
  export MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296
fi
exec java ${FX_JAVA_OPTS:-} -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error \
  -cp "$ROOT/examples/target/classes:$(cat "$CP_FILE")" org.fx4j.examples.cli.FxCli "$@"
