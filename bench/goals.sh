#!/usr/bin/env bash
# The sitting behind BENCHMARKS.md's goal tables (issues #14 and #18): every benchmark a goal is
# read from, one after another, with the load average before each, into build/bench/goals-<UTC time>.log.
# Run it on an otherwise idle machine after `./dev setup` (it builds the wheel and the JS package):
#
#   bench/goals.sh            the whole sitting (~12 min)
#   bench/goals.sh p2js page  only the named parts (native p4 workers wasm p2js page)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/bench
LOG=build/bench/goals-$(date -u +%Y%m%dT%H%M).log
PARTS=${*:-native p4 workers wasm p2js page}
export PYTHONPATH=$PWD/src

step() {  # step TITLE COMMAND...: the command's output, after its title and the load average
  printf '\n== %s (load %s, %s UTC)\n$ %s\n' "$1" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u +%H:%M:%S)" "${*:2}" | tee -a "$LOG"
  "${@:2}" 2>&1 | tee -a "$LOG"
}
want() { [[ " $PARTS " == *" $1 "* ]]; }

rm -rf dist && .venv/bin/python -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w dist .
node js/scripts/build.mjs --demo > /dev/null
if want native; then
  step "P1-P3 with numpy vs torch" .venv/bin/python bench/bench_pipelines.py --torch
  step "P1-P3 without numpy vs torch" .venv/bin/python bench/bench_pipelines.py --torch --no-numpy
fi
if want p4; then
  step "P4 vs torch" .venv/bin/python bench/bench_p4.py --torch
  step "P4 WebAssembly / native" .venv/bin/python bench/wasm_ratio.py --engines chromium bench_p4.py --quick --images 64
fi
want workers && step "2 workers vs 0" .venv/bin/python bench/bench_workers.py --counts 0,2 --rounds 7
want wasm && step "WebAssembly / native, P1-P3" .venv/bin/python bench/wasm_ratio.py --engines chromium bench_pipelines.py --no-numpy
want p2js && step "P2 in JavaScript runtimes" node --experimental-wasm-stack-switching bench/bench_p2_js.mjs --images 20000 --repeat 15
want page && step "page load, 12 MB load (Chromium)" env BENCH_TRACE="$PWD/build/bench/trace.json" RUNS=3 \
  RELEASE_WHEEL="$(ls dist/torsh_data-*.whl)" node --experimental-wasm-stack-switching bench/bench_js.mjs
echo "the sitting's log: $LOG"
