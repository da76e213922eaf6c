#!/usr/bin/env bash
# Soak for rare wasm heap corruption: runs short shrinks of zoo:cnn and
# zoo:resnet20 (28x28x1, batch 64) again and again at nice 19, on whatever load the
# machine has (it adds none), and compares each run's per-step losses bit for bit with
# the first run of the same model (same seed: a clean run is bit-reproducible). A run
# that exits non-zero, prints Aborted() or "out of bounds", logs a NaN loss, or whose
# losses differ is kept with its output under $OUT/failures.
#
#   bench/soak.sh [DEADLINE_EPOCH_SECONDS] [CLI_JS]
#
# CLI_JS defaults to dist/src/cli/main.js; pass a copy of dist/ (with node_modules beside
# it) so that a rebuild during the soak does not change the code under test.
set -u
DEADLINE=${1:-$(( $(date +%s) + 3600 ))}
CLI=${2:-dist/src/cli/main.js}
OUT=${SOAK_OUT:-/tmp/morphnet-soak}
CNN_STEPS=${CNN_STEPS:-150}
RESNET_STEPS=${RESNET_STEPS:-40}
mkdir -p "$OUT/failures" "$OUT/runs"
CONFIG="$OUT/soak.yaml"
cat > "$CONFIG" <<'YAML'
data: {dataset: mnist, validationSplit: 0.1, batchSize: 64}
seed: 1
backend: wasm
shrink:
  regularizer: gamma
  target: flops
  strength: 3.0e-8
  threshold: 0.01
  optimizer: {name: momentum, learningRate: 0.05, momentum: 0.9}
  exportEvery: 100000
  checkpointEvery: 100000
YAML

# The step losses of a run dir as "step loss taskLoss regLoss" lines (full precision).
losses() {
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
    for (const l of lines) if ("loss" in l) console.log(l.step, l.loss, l.taskLoss, l.regLoss);
  ' "$1/shrink/metrics.jsonl"
}

# One run of model $1 ("cnn" or "resnet"), number $2; prints ok/FAIL with the reason.
run_once() {
  local name=$1 n=$2 model steps
  if [ "$name" = cnn ]; then model='zoo:cnn'; steps=$CNN_STEPS; else model='zoo:resnet20?inputShape=28,28,1'; steps=$RESNET_STEPS; fi
  local dir="$OUT/runs/$name-$n"
  rm -rf "$dir"
  local start=$(date +%s)
  nice -n 19 node "$CLI" shrink -c "$CONFIG" -m "$model" -r "$dir" --steps "$steps" > "$dir.log" 2>&1
  local rc=$? why=""
  [ $rc -ne 0 ] && why="exit $rc"
  grep -qiE 'Aborted|out of bounds|RuntimeError' "$dir.log" && why="$why; $(grep -iE -m1 'Aborted|out of bounds|RuntimeError' "$dir.log")"
  if [ -z "$why" ]; then
    losses "$dir" > "$dir.losses" || why="no metrics"
    grep -qiE 'nan|null' "$dir.losses" && why="NaN loss at step $(grep -iE -m1 'nan|null' "$dir.losses" | cut -d' ' -f1)"
    if [ -z "$why" ]; then
      if [ ! -s "$OUT/$name.reference" ]; then cp "$dir.losses" "$OUT/$name.reference"
      elif ! cmp -s "$dir.losses" "$OUT/$name.reference"; then
        why="losses differ from the reference from step $(diff <(cut -d' ' -f1-2 "$dir.losses") <(cut -d' ' -f1-2 "$OUT/$name.reference") | grep -m1 '^<' | cut -d' ' -f2)"
      fi
    fi
  fi
  local took=$(( $(date +%s) - start ))
  if [ -n "$why" ]; then
    echo "$(date -u +%T) $name-$n FAIL ($why) ${took}s" | tee -a "$OUT/log"
    mv "$dir.log" "$OUT/failures/"; [ -d "$dir" ] && mv "$dir" "$OUT/failures/"
    # A run that fails at once is a set-up error, not the rare corruption: stop.
    [ "$took" -lt 5 ] && { echo "stopping: $name-$n failed in ${took}s, see $OUT/failures/$name-$n.log" | tee -a "$OUT/log"; exit 1; }
  else
    echo "$(date -u +%T) $name-$n ok ${took}s $(wc -l < "$dir.losses") steps" >> "$OUT/log"
    rm -rf "$dir" "$dir.log" "$dir.losses"
  fi
}

n=0
while [ "$(date +%s)" -lt "$DEADLINE" ]; do
  n=$((n + 1))
  run_once cnn "$n"
  [ "$(date +%s)" -lt "$DEADLINE" ] && run_once resnet "$n"
done
echo "$(date -u +%T) done after $n rounds: $(grep -c ' ok ' "$OUT/log") ok, $(grep -c FAIL "$OUT/log") failed" | tee -a "$OUT/log"
