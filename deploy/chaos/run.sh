#!/usr/bin/env bash
# A longer chaos run: the process chaos test (Tests/HotlineProcessTests/ChaosTests.swift) repeated with fresh seeds,
# more tickets each. Every run prints its seed and the history of kills and link cuts; a failing seed replays with
#   HOTLINE_CHAOS_SEED=S HOTLINE_CHAOS_TICKETS=N swift test --filter ChaosTests
#
# usage: deploy/chaos/run.sh [--runs R] [--tickets N] [--seed S]   (defaults: 5 runs of 100 tickets, random seeds)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=5 TICKETS=100 SEED=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --tickets) TICKETS=$2; shift 2 ;;
    --seed) SEED=$2; RUNS=1; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
export PATH="/opt/swift/usr/bin:$PATH"
cd "$ROOT"
swift build --build-tests >/dev/null
kills=0 cuts=0 tickets=0 failed=0
for r in $(seq 1 "$RUNS"); do
  seed=${SEED:-$(( (RANDOM << 15 | RANDOM) + 1 ))}
  out=$(HOTLINE_CHAOS_SEED=$seed HOTLINE_CHAOS_TICKETS=$TICKETS swift test --skip-build --filter ChaosTests 2>&1) && ok=1 || ok=0
  line=$(echo "$out" | grep -o 'chaos: [0-9]* kills, [0-9]* link cuts' | head -1)
  k=$(echo "$line" | grep -o '[0-9]* kills' | grep -o '[0-9]*' || echo 0)
  c=$(echo "$line" | grep -o '[0-9]* link cuts' | grep -o '[0-9]*' || echo 0)
  kills=$((kills + ${k:-0})); cuts=$((cuts + ${c:-0})); tickets=$((tickets + TICKETS))
  if [ $ok = 1 ]; then echo "run $r: seed $seed, $TICKETS tickets, ${k:-0} kills, ${c:-0} cuts: invariants hold"
  else failed=$((failed + 1)); echo "run $r: seed $seed FAILED"; echo "$out" | grep -E "✘|Expectation|chaos:|^ +[0-9.]+s " | head -80; fi
done
echo "total: $RUNS runs, $tickets tickets, $kills kills, $cuts link cuts, $failed failed"
[ $failed = 0 ]
