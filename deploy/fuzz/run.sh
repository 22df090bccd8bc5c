#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, `swiftc -sanitize=fuzzer,address`) of what comes from outside a node:
#   frame     the frame decoder + envelope parser, bytes split in every way (Sources/HotlineWire)
#   message   the envelope parser on whole payloads; what decodes must re-encode to the same message
#   event     ticket and event JSON as peers send them, applied by the lifecycle core (Sources/HotlineCore)
#   json      JSONStreamDecoder (how nodes read bodies and documents) against JSONDecoder on any bytes
#   profile   the policy-profile loader (Sources/HotlineCore)
#   topology  the topology loader (Sources/HotlineNode/Topology)
# Corpora are seeded from protocols/vectors/, the bundled profiles and the topology example.
#
# usage: deploy/fuzz/run.sh [--seconds N] [--target NAME|all] [--out DIR] [--jobs J]
# A crash leaves its input in DIR/crashes/ and the script exits 1; replay with: DIR/bin/fuzz-NAME FILE
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_EACH=60 TARGET=all OUT="$ROOT/deploy/fuzz/out" JOBS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --target) TARGET=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
export PATH="/opt/swift/usr/bin:$PATH"
ALL="frame message event json profile topology"
[ "$TARGET" = all ] && TARGETS=$ALL || TARGETS=$TARGET
for t in $TARGETS; do case " $ALL " in *" $t "*) ;; *) echo "run.sh: unknown target $t ($ALL)" >&2; exit 2 ;; esac; done

BIN="$OUT/bin"; mkdir -p "$BIN" "$OUT/crashes"; : > "$OUT/build.log"
# One module per target, as SwiftPM's package: `package` declarations need its name.
FLAGS=(-sanitize=fuzzer,address -parse-as-library -g -package-name hotline)
# A target that does not build says why (its errors), instead of the script ending silently under `set -e`.
trap 'echo "run.sh: a fuzz target did not build; its errors:" >&2; grep -m 20 "error:" "$OUT/build.log" >&2' ERR
src() { find "$ROOT/$1" -name '*.swift' | sort; }
echo "==> building fuzz targets in $BIN"
swiftc "${FLAGS[@]}" -module-name HotlineWire $(src Sources/HotlineWire) "$ROOT/Tests/Fuzz/FrameFuzz.swift" -o "$BIN/fuzz-frame" 2>>"$OUT/build.log"
swiftc "${FLAGS[@]}" -module-name HotlineWire $(src Sources/HotlineWire) "$ROOT/Tests/Fuzz/MessageFuzz.swift" -o "$BIN/fuzz-message" 2>>"$OUT/build.log"
swiftc "${FLAGS[@]}" -module-name HotlineCore $(src Sources/HotlineCore) $(src Sources/HotlineWire) "$ROOT/Tests/Fuzz/EventFuzz.swift" \
  -o "$BIN/fuzz-event" 2>>"$OUT/build.log"
swiftc "${FLAGS[@]}" -module-name HotlineCore $(src Sources/HotlineCore) "$ROOT/Tests/Fuzz/ProfileFuzz.swift" -o "$BIN/fuzz-profile" 2>>"$OUT/build.log"
swiftc "${FLAGS[@]}" -module-name HotlineCore $(src Sources/HotlineCore) $(src Sources/HotlineWire) "$ROOT/Tests/Fuzz/JSONFuzz.swift" \
  -o "$BIN/fuzz-json" 2>>"$OUT/build.log"
swiftc "${FLAGS[@]}" -emit-library -static -emit-module -module-name HotlineCore -emit-module-path "$BIN/HotlineCore.swiftmodule" \
  -o "$BIN/libHotlineCore.a" $(src Sources/HotlineCore) 2>>"$OUT/build.log"
swiftc "${FLAGS[@]}" -module-name HotlineNode -I "$BIN" -L "$BIN" -lHotlineCore $(src Sources/HotlineNode/Topology) \
  "$ROOT/Tests/Fuzz/TopologyFuzz.swift" -o "$BIN/fuzz-topology" 2>>"$OUT/build.log"

trap - ERR
echo "==> seeding corpora"
python3 - "$ROOT" "$OUT" <<'PY'
import json, os, sys, glob
root, out = sys.argv[1], sys.argv[2]
def put(target, name, data):
    d = os.path.join(out, "corpus", target); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(data)
for path in glob.glob(os.path.join(root, "protocols/vectors/*.json")):
    v = json.load(open(path)); name = os.path.basename(path)
    frame = bytes.fromhex(v.get("hex") or "")
    if not frame: continue
    put("frame", name, b"\x07" + frame)
    put("message", name, frame[4:])
    body = (v.get("message") or {}).get("body")
    if isinstance(body, dict) and "event" in body:
        put("event", name, json.dumps([body["event"]], ensure_ascii=False).encode())
        put("json", name, json.dumps(body["event"], ensure_ascii=False).encode())
    if frame: put("json", "frame-" + name, frame[4:])
for path in glob.glob(os.path.join(root, "Sources/HotlineProfiles/profiles/*.json")):
    put("profile", os.path.basename(path), open(path, "rb").read())
put("topology", "example.json", open(os.path.join(root, "deploy/topology.example.json"), "rb").read())
put("event", "received.json", json.dumps([{"id": "e1", "ticket": "JN-20260302-000001", "type": "received",
    "at": "2026-03-02T09:00:00+08:00", "node": "c", "role": "city", "profile": "jinan-2018", "channel": "phone",
    "kind": "complain", "topic": "供水", "area": {"district": "历下区", "street": "解放路街道"}, "address": "",
    "text": "停水", "caller": {"confidential": False, "noReply": False, "vulnerable": []}},
    {"id": "e2", "ticket": "JN-20260302-000001", "type": "dispatched", "at": "2026-03-02T09:30:00+08:00", "node": "c",
     "role": "city", "to": "w", "signBy": "2026-03-03T00:00:00+08:00", "handleBy": "2026-03-10T00:00:00+08:00"}],
    ensure_ascii=False).encode())
# A ticket signed and with an extension asked for, so the fuzzer starts near the deadline arithmetic.
put("event", "extension.json", json.dumps([{"id": "e1", "ticket": "JN-20260302-000001", "type": "received",
    "at": "2026-03-02T09:00:00+08:00", "node": "c", "role": "city", "profile": "jinan-2018", "channel": "phone",
    "kind": "complain", "topic": "供水", "area": {"district": "历下区", "street": "解放路街道"}, "address": "",
    "text": "停水", "caller": {"confidential": False, "noReply": False, "vulnerable": []}},
    {"id": "e2", "ticket": "JN-20260302-000001", "type": "dispatched", "at": "2026-03-02T09:30:00+08:00", "node": "c",
     "role": "city", "to": "w", "signBy": "2026-03-03T00:00:00+08:00", "handleBy": "2026-03-10T00:00:00+08:00",
     "handlingUnit": "workingDays"},
    {"id": "e3", "ticket": "JN-20260302-000001", "type": "signed", "at": "2026-03-02T10:00:00+08:00", "node": "w",
     "role": "unit", "onTime": True},
    {"id": "e4", "ticket": "JN-20260302-000001", "type": "extension-requested", "at": "2026-03-05T10:00:00+08:00",
     "node": "w", "role": "unit", "period": {"workingDays": 5}, "reason": "x", "extensionNumber": 1,
     "handleBy": "2026-03-17T00:00:00+08:00"}], ensure_ascii=False).encode())
# The same asking for Int.max days: approving it overflowed before periods were bounded (ExtremeValueTests).
huge = json.load(open(os.path.join(out, "corpus", "event", "extension.json")))
huge[3]["period"] = {"days": 9223372036854775807}
put("event", "extension-huge.json", json.dumps(huge, ensure_ascii=False).encode())
PY

status=0
run_one() {
  local t=$1 log="$OUT/fuzz-$1.log" dict=()
  case $t in event|json) dict=(-dict="$ROOT/deploy/fuzz/event.dict") ;; esac
  "$BIN/fuzz-$t" "${dict[@]}" -max_total_time="$SECONDS_EACH" -max_len=65536 -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$OUT/crashes/$t-" "$OUT/corpus/$t" > "$log" 2>&1 && r=0 || r=$?
  local execs cov
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  if [ $r = 0 ]; then echo "  $t: ${SECONDS_EACH}s, $execs executions, coverage $cov edges, no crash"
  else echo "  $t: CRASH (exit $r) after $execs executions; input in $OUT/crashes/, log $log"; return 1; fi
}
echo "==> fuzzing $SECONDS_EACH s per target"
pids=(); n=0
for t in $TARGETS; do
  run_one "$t" & pids+=($!); n=$((n + 1))
  if [ $n -ge "$JOBS" ]; then for p in "${pids[@]}"; do wait "$p" || status=1; done; pids=(); n=0; fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
