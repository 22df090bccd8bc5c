#!/usr/bin/env bash
# Two realistic weeks of a city's 12345 hotline on loopback: a city centre, two county stations and six units
# as separate processes over mutual TLS, driven only through the operators' commands.
#
# usage: deploy/demo/run.sh [--profile NAME] [--tickets N] [--dir DIR] [--keep] [--insecure]
#        deploy/demo/run.sh --stop --dir DIR
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROFILE=jinan-2018 TICKETS=240 DIR="" KEEP=0 STOP=0 INSECURE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=$2; shift 2 ;;
    --tickets) TICKETS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --stop) STOP=1; shift ;;
    --insecure) INSECURE=1; shift ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$PROFILE" in jinan-2018|anshan-2019|tonghua-2021|baoding-2022|anshan-draft) ;;
  *) echo "run.sh: unknown profile $PROFILE (jinan-2018, anshan-2019, tonghua-2021, baoding-2022, anshan-draft)" >&2; exit 2 ;;
esac
DIR=${DIR:-$ROOT/deploy/demo/out}
NODES="demo-city county-a county-b a-street-1 a-street-2 b-street-1 b-street-2 water energy"

stop_network() {
  [ -f "$DIR/pids" ] || return 0
  while read -r pid node; do
    kill -TERM "$pid" 2>/dev/null || true
  done < "$DIR/pids"
  for _ in $(seq 50); do
    alive=0
    while read -r pid node; do kill -0 "$pid" 2>/dev/null && alive=1; done < "$DIR/pids"
    [ $alive = 0 ] && break
    sleep 0.1
  done
  while read -r pid node; do kill -KILL "$pid" 2>/dev/null || true; done < "$DIR/pids"
  rm -f "$DIR/pids"
}

if [ $STOP = 1 ]; then
  stop_network
  echo "stopped the demo network in $DIR"
  exit 0
fi

echo "==> building (release)"
# As installed on servers (README, "Running a node as a service"), and as hotline-bench measures: a build without
# --static-swift-stdlib would replace the bench's executables in .build/release with ones 6 MB larger a node.
(cd "$ROOT" && swift build -c release --static-swift-stdlib 2>&1 | grep -E "error|warning: unre|Compiling|Build complete" | tail -3)
BIN=$(cd "$ROOT" && swift build -c release --static-swift-stdlib --show-bin-path)

stop_network
mkdir -p "$DIR"
for n in $NODES; do rm -rf "${DIR:?}/$n"; done
rm -rf "$DIR/pki"

# Free loopback ports: three listeners.
BASE=17400
while ! python3 - "$BASE" <<'PY' 2>/dev/null
import socket, sys
b = int(sys.argv[1])
for p in range(b, b + 3):
    s = socket.socket(); s.bind(("127.0.0.1", p)); s.close()
PY
do BASE=$((BASE + 10)); done

"$ROOT/deploy/demo/topology.sh" "$PROFILE" "$BASE" > "$DIR/topology.json"
echo "==> topology: $DIR/topology.json (profile $PROFILE, ports $BASE-$((BASE+2)))"

role_of() { case "$1" in demo-city) echo city ;; county-*) echo county ;; *) echo unit ;; esac; }
if [ $INSECURE = 1 ]; then
  security=(--insecure)
else
  "$ROOT/deploy/pki/make-pki.sh" "$DIR/topology.json" "$DIR/pki" >/dev/null
  echo "==> certificates: $DIR/pki (a private authority, one certificate per node)"
fi
START=2026-03-02T08:30:00+08:00
for n in $NODES; do
  r=$(role_of "$n")
  if [ $INSECURE = 1 ]; then sec=(--insecure); else sec=(--tls-dir "$DIR/pki/$n"); fi
  "$BIN/hotline-$r" init --topology "$DIR/topology.json" --id "$n" --data "$DIR/$n" --profile "$PROFILE" \
    --clock manual --clock-start "$START" "${sec[@]}" >/dev/null
done
: > "$DIR/pids"
for n in $NODES; do
  r=$(role_of "$n")
  "$BIN/hotline-$r" serve --data "$DIR/$n" 2>>"$DIR/$n/node.log" &
  echo "$! $n" >> "$DIR/pids"
done
cleanup() { if [ $KEEP = 0 ]; then stop_network; fi; }
trap cleanup EXIT

city() { "$BIN/hotline-city" "$@" --data "$DIR/demo-city"; }
node() { local n=$1; shift; "$BIN/hotline-$(role_of "$n")" "$@" --data "$DIR/$n"; }

for n in $NODES; do
  for _ in $(seq 100); do node "$n" status >/dev/null 2>&1 && break; sleep 0.1; done
  node "$n" status >/dev/null || { echo "node $n did not start; see $DIR/$n/node.log" >&2; exit 1; }
done
echo "==> 9 nodes running (logs: $DIR/<node>/node.log)"

# Waits until every link of every node has an empty outbox: every message delivered and acknowledged.
quiesce() {
  for _ in $(seq 300); do
    total=0
    for n in $NODES; do
      p=$(node "$n" status --json | python3 -c 'import json,sys; print(sum(l["pending"] for l in json.load(sys.stdin)["links"]))')
      total=$((total + p))
    done
    [ "$total" = 0 ] && return 0
    sleep 0.2
  done
  echo "the network did not settle; see the node logs in $DIR" >&2
  exit 1
}
# Waits until every node's manual clock has followed the centre's (it travels on hello and heartbeat frames).
sync_clocks() {
  local target
  target=$(city clock --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["millis"])')
  for n in $NODES; do
    for _ in $(seq 300); do
      node "$n" status --json | python3 -c '
import json, sys
from datetime import datetime
c = json.load(sys.stdin)["clock"]
sys.exit(0 if datetime.fromisoformat(c).timestamp() * 1000 >= int(sys.argv[1]) else 1)' "$target" && break
      sleep 0.2
    done
  done
}
ids_of() { python3 -c 'import json,sys; print("\n".join(t["id"] for t in json.load(sys.stdin)))'; }
# The tickets a node leads (not those it only assists).
inbox() { node "$1" inbox --json | python3 -c 'import json,sys; print("\n".join(t["id"] for t in json.load(sys.stdin) if t.get("inboxRole") == "lead"))'; }
progress() { case "$2" in *0) printf '    %s\n' "$1" ;; esac; }

# Profile-specific codes: a rejection ground and a referral target the profile knows; a handling tier when the
# profile makes the centre choose one at dispatch (baoding-2022 §19(2)).
eval "$(python3 - "$DIR/demo-city/profile.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
print("GROUND=%s" % p["rejectionGrounds"]["value"][0])
print("REFER_TO=%s" % p["referralTargets"]["value"][0])
tiers = [t["code"] for t in p["tiers"]]
print("TIER=(%s)" % (("--tier " + tiers[-1]) if p["tierRequired"]["value"] and tiers else ""))
length = (p["extensions"].get("length") or {}).get("value") or {}
print("SENDBACK=%s" % p["sendBackOnUnsatisfied"]["value"])
print("ESCALATE_TO=%s" % p["supervision"]["escalation"]["value"][0])
print("EXT_DAYS=%d" % (length.get("workingDays") or length.get("days") or 5))
PY
)"

eval "$(python3 - "$DIR/topology.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
units = [n for n in t["nodes"] if n["kind"] == "unit" and n["areas"] != ["*"]]
print("AREAS=(" + " ".join('"%s"' % n["areas"][0] for n in units) + ")")
PY
)"
STREET_TOPICS=(市容环境 物业管理 噪声扰民 道路交通)
TEXTS=(小区门口垃圾堆放多日无人清运 楼上装修噪声晚上十点后仍未停止 物业公司擅自提高停车费 路口红绿灯故障 小区停水两天没有通知 暖气不热室温只有十四度 燃气表读数异常 下水道堵塞污水外溢)
KINDS=(complain help report suggest complain help)

echo "==> the units and county stations submit the starter knowledge base (知识库); the centre approves it"
mkdir -p "$DIR/kb"
python3 - "$ROOT/deploy/demo/kb/entries.json" "$DIR/kb" <<'PY' > "$DIR/kb/owners"
import json, sys
for e in json.load(open(sys.argv[1])):
    lines = ["---", "id: " + e["id"], "title: " + e["title"], "topic: " + e["topic"], "areas: " + ", ".join(e["areas"]),
             "effective: " + e["effective"], "review-by: " + e["reviewBy"]]
    if e.get("source"):
        lines += ["source: " + e["source"], "published: " + e["published"]]
    lines += ["---", e["body"], "", "## 答复口径"] + ["- " + s for s in e["scripts"]]
    if e["templates"]:
        lines += ["## 受理模板"] + ["- " + t for t in e["templates"]]
    open("%s/%s.md" % (sys.argv[2], e["id"]), "w").write("\n".join(lines) + "\n")
    print(e["owner"], e["id"])
PY
while read -r owner entry; do node "$owner" kb submit "$DIR/kb/$entry.md" >/dev/null; done < "$DIR/kb/owners"
quiesce
for entry in $(city kb list --status submitted --json | ids_of); do city kb approve "$entry" >/dev/null; done
quiesce
echo "    $(wc -l < "$DIR/kb/owners") entries; a county station searches offline: hotline-county kb search 居住证"
node county-a kb search 居住证 | sed -n '1,3p' | sed 's/^/    /'

echo "==> 08:30 intake: $TICKETS requests (phone, app, wechat, web …)"
declare -a DISPATCH=() ANSWERED=()
for i in $(seq 1 "$TICKETS"); do
  area=${AREAS[$((i % ${#AREAS[@]}))]}
  case $((i % 10)) in
    0|5) topic=供水 ;; 3) topic=供暖 ;; 7) topic=燃气 ;; *) topic=${STREET_TOPICS[$((i % 4))]} ;;
  esac
  channel=$(echo phone phone phone app wechat web weibo sms mailbox | cut -d' ' -f$((i % 9 + 1)))
  kind=${KINDS[$((i % 6))]}
  [ $((i % 5)) = 1 ] && kind=consult
  extra=()
  [ $((i % 9)) = 0 ] && extra+=(--confidential)
  id=$(city intake --channel "$channel" --kind "$kind" --area "$area" --topic "$topic" \
       --text "${TEXTS[$((i % 8))]}（第$i件）" --caller-name "市民$i" --caller-phone "138$(printf '%08d' "$i")" "${extra[@]}" --json \
       | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  if [ "$kind" = consult ]; then
    case $topic in
      供水) kb=(--kb water-outage-notice) ;; 供暖) kb=(--kb heating-period) ;; 燃气) kb=(--kb gas-smell) ;;
      市容环境) kb=(--kb a-street-1-garbage) ;; 物业管理) kb=(--kb a-street-1-property-fee) ;; 噪声扰民) kb=(--kb a-street-1-noise) ;;
      *) kb=(--text "已告知办理渠道和所需材料") ;;
    esac
    city answer "$id" "${kb[@]}" >/dev/null; ANSWERED+=("$id")
  elif [ $((i % 41)) = 0 ]; then
    city reject "$id" --ground "$GROUND" --basis "该事项已进入诉讼程序，依法不予受理" >/dev/null
  elif [ $((i % 47)) = 0 ]; then
    city refer "$id" --to "$REFER_TO" --note "已告知诉求人通过该途径办理" >/dev/null
  else
    DISPATCH+=("$id")
  fi
  [ $((i % 30)) = 0 ] && city clock --advance 1h >/dev/null
  progress "intake $i/$TICKETS" "$i"
done

echo "==> dispatch ${#DISPATCH[@]} tickets (routed by area and topic; half of the street matters via the county stations)"
MULTI=${DISPATCH[3]}
n=0
for id in "${DISPATCH[@]}"; do
  n=$((n + 1))
  if [ "$id" = "$MULTI" ]; then
    city dispatch "$id" --to water --assist energy "${TIER[@]}" >/dev/null
  elif [ $((n % 2)) = 0 ]; then
    city dispatch "$id" "${TIER[@]}" >/dev/null
  else
    to=$(city show "$id" --json | python3 -c '
import json,sys
t = json.load(sys.stdin)
print("county-a" if t["area"].startswith(sys.argv[1]) else "county-b" if not t["topic"] in ("供水","排水","供暖","燃气") else "")' "${AREAS[0]%%/*}")
    if [ -n "$to" ]; then city dispatch "$id" --to "$to" "${TIER[@]}" >/dev/null; else city dispatch "$id" "${TIER[@]}" >/dev/null; fi
  fi
  progress "dispatch $n/${#DISPATCH[@]}" "$n"
done
quiesce

echo "==> county stations forward to their street offices"
for c in county-a county-b; do
  for id in $(inbox "$c"); do
    area=$(node "$c" show "$id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["area"])')
    to=$(python3 - "$DIR/topology.json" "$area" "$c" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for n in t["nodes"]:
    if n["parent"] == sys.argv[3] and sys.argv[2] in n["areas"]:
        print(n["id"]); break
else:
    print([n["id"] for n in t["nodes"] if n["parent"] == sys.argv[3]][0])
PY
)
    node "$c" forward "$id" --to "$to" >/dev/null
  done
done
quiesce
city clock --advance 1h >/dev/null

echo "==> units sign for their tickets (a few are left unsigned and will go overdue)"
LATE=()
k=0
for u in a-street-1 a-street-2 b-street-1 b-street-2 water energy; do
  for id in $(inbox "$u"); do
    k=$((k + 1))
    if [ $((k % 29)) = 0 ]; then LATE+=("$id"); continue; fi
    node "$u" sign "$id" >/dev/null
  done
done
quiesce

echo "==> a refused return, an approved return, an extension, a multi-unit result"
mapfile -t A1 < <(node a-street-1 list --status signed --json | ids_of)
R1=${A1[0]} R2=${A1[1]} EXT=${A1[2]}
node a-street-1 return "$R1" --reason "不属于本街道职责" --basis "街道职责清单" >/dev/null
node a-street-1 return "$R2" --reason "属于供水企业职责" --basis "城市供水条例" >/dev/null
node a-street-1 extend "$EXT" --days "$EXT_DAYS" --reason "需协调物业公司和业委会" --leader 王主任 >/dev/null
node energy assist "$MULTI" --text "已排查燃气管线，无泄漏" >/dev/null
quiesce
city decide "$R1" --return refuse --reason "经核实属于街道属地管理职责" >/dev/null
city decide "$R2" --return approve --reason "转供水企业办理" >/dev/null
city decide "$EXT" --extension approve >/dev/null
quiesce
city dispatch "$R2" --to water "${TIER[@]}" >/dev/null
quiesce
node water sign "$R2" >/dev/null

echo "==> progress and replies (two days later)"
city clock --advance 2d >/dev/null
quiesce
sync_clocks
k=0
for u in a-street-1 a-street-2 b-street-1 b-street-2 water energy; do
  for id in $(node "$u" list --status signed --json | ids_of); do
    k=$((k + 1))
    [ "$id" = "$EXT" ] && continue
    if [ $((k % 31)) = 0 ]; then LATE+=("$id"); continue; fi
    [ $((k % 4)) = 0 ] && node "$u" progress "$id" --text "已到现场查看，正在协调处理" >/dev/null
    node "$u" reply "$id" --text "已处理完毕，并电话告知市民" --contacted >/dev/null
    progress "reply $k" "$k"
  done
done
quiesce

echo "==> the centre reviews the replies and calls the callers back"
BACK=()
k=0
for id in $(city list --status replied --json | ids_of); do
  k=$((k + 1))
  if [ $((k % 11)) = 0 ]; then
    if [ "$SENDBACK" = never ]; then
      # This regulation sends nothing back after a callback: the centre's review catches the weak reply instead.
      city review "$id" --send-back "答复未说明整改措施和完成期限" >/dev/null
    else
      city review "$id" --pass >/dev/null
      city callback "$id" --satisfaction unsatisfied --resolved no --stars 2 --send-back >/dev/null
    fi
    BACK+=("$id")
  else
    city review "$id" --pass >/dev/null
    case $((k % 11)) in
      3|7) city callback "$id" --satisfaction basically --resolved yes --stars 4 >/dev/null ;;
      *) city callback "$id" --satisfaction satisfied --resolved yes --stars 5 >/dev/null ;;
    esac
  fi
  progress "callback $k" "$k"
done
quiesce

echo "==> ${#BACK[@]} tickets sent back: the units handle them again"
for id in "${BACK[@]}"; do
  holder=$(city show "$id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["holder"])')
  node "$holder" reply "$id" --text "重新上门处理，已明确整改措施，问题已解决" --contacted >/dev/null
done
quiesce
for id in "${BACK[@]}"; do
  city review "$id" --pass >/dev/null
  city callback "$id" --satisfaction basically --resolved yes --stars 4 >/dev/null
done
quiesce

echo "==> a week later: what was never signed or replied is overdue; late replies give their reason"
city clock --advance 7d >/dev/null
quiesce
sync_clocks
k=0
for id in $(city list --status signed --json --limit 100000 | ids_of); do
  [ "$id" = "$EXT" ] && continue
  k=$((k + 1))
  [ $k = 1 ] && continue   # one stays open and overdue
  holder=$(city show "$id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["holder"])')
  node "$holder" reply "$id" --text "已协调相关部门处理完毕" --contacted --overdue-reason "涉及多个部门，协调时间较长" >/dev/null
done
quiesce
mapfile -t OVERDUE < <(city list --overdue --json --limit 100000 | ids_of)
for id in "${OVERDUE[@]:0:2}"; do
  city supervise "$id" --reason "超期未办结" --form written >/dev/null
done
if [ ${#OVERDUE[@]} -gt 2 ]; then city escalate "${OVERDUE[2]}" --to "$ESCALATE_TO" --reason "多次督办仍未办结" >/dev/null; fi
quiesce

echo "==> the next days: six callers report a gas smell in one street within hours, and one caller calls again"
city clock --advance 1d >/dev/null
GAS_AREA=${AREAS[0]}
for i in 1 2 3 4 5 6; do
  id=$(city intake --channel phone --kind report --area "$GAS_AREA" --topic 燃气 --text "楼道里有燃气味（第$i位来电）" \
       --caller-name "来电人$i" --caller-phone "139$(printf '%08d' "$i")" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  city dispatch "$id" --to energy "${TIER[@]}" >/dev/null
  city clock --advance 20m >/dev/null
done
AGAIN=$(city intake --channel phone --kind complain --area "$GAS_AREA" --topic 燃气 --text "燃气味仍未消除（再次来电）" \
        --caller-name 来电人1 --caller-phone 13900000001 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
city dispatch "$AGAIN" --to energy "${TIER[@]}" >/dev/null
for d in 1 2 3; do
  city clock --advance 1d >/dev/null
  for i in 1 2 3; do
    city intake --channel app --kind help --area "${AREAS[$((d % ${#AREAS[@]}))]}" --topic 供水 --text "水压偏低（第${d}天）" \
      --caller-name "市民X$d$i" --caller-phone "137$(printf '%08d' $((d * 10 + i)))" >/dev/null
  done
done
quiesce

echo "==> the network changes (网络调整): a heating company joins and takes 供暖 from the energy group"
# One new topology file for the whole network; a certificate for the node that joins (make-pki.sh skips the others).
python3 - "$DIR/topology.json" "$DIR/topology-2.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))
for n in t["nodes"]:
    if n["id"] == "energy": n["topics"] = ["燃气"]
city = t["city"].removesuffix("市")
t["nodes"].append({"id": "heat", "kind": "unit", "parent": "demo-city", "name": f"{city}热力集团", "areas": ["*"], "topics": ["供暖"]})
json.dump(t, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False, indent=2)
PY
if [ $INSECURE = 1 ]; then sec=(--insecure); else
  "$ROOT/deploy/pki/make-pki.sh" "$DIR/topology-2.json" "$DIR/pki" >/dev/null
  sec=(--tls-dir "$DIR/pki/heat")
fi
city topology --check "$DIR/topology-2.json" | sed 's/^/    /'
for n in $NODES; do node "$n" topology --install "$DIR/topology-2.json" >/dev/null; done
rm -rf "${DIR:?}/heat"
"$BIN/hotline-unit" init --topology "$DIR/topology-2.json" --id heat --data "$DIR/heat" --profile "$PROFILE" \
  --clock manual --clock-start "$START" "${sec[@]}" >/dev/null
"$BIN/hotline-unit" serve --data "$DIR/heat" 2>>"$DIR/heat/node.log" &
echo "$! heat" >> "$DIR/pids"
# A rolling restart: each node stops gracefully and starts again with the new file; its neighbours redial.
restart() {
  local n=$1 pid
  pid=$(awk -v n="$n" '$2 == n {print $1}' "$DIR/pids")
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  "$BIN/hotline-$(role_of "$n")" serve --data "$DIR/$n" 2>>"$DIR/$n/node.log" &
  sed -i "s/^$pid $n\$/$! $n/" "$DIR/pids"
  for _ in $(seq 100); do node "$n" status >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "node $n did not start again; see $DIR/$n/node.log" >&2
  exit 1
}
for n in $NODES; do restart "$n"; done
NODES="$NODES heat"
sync_clocks
HEAT=$(city intake --channel phone --kind help --area "${AREAS[0]}" --topic 供暖 --text "暖气不热，室温不足16度" \
       --caller-name 来电人H --caller-phone 13600000001 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
city dispatch "$HEAT" "${TIER[@]}" | sed 's/^/    /'
for _ in $(seq 100); do node heat inbox --json | grep -q "$HEAT" && break; sleep 0.1; done
node heat sign "$HEAT" | sed 's/^/    /'
quiesce

echo
echo "Summary (hotline-city list --json):"
city list --json --limit 100000 | python3 -c '
import json, sys, collections
ts = json.load(sys.stdin)
c = collections.Counter(t["status"] for t in ts)
print("  %-12s %6s" % ("status", "count"))
for s, n in sorted(c.items()): print("  %-12s %6d" % (s, n))
print("  %-12s %6d" % ("total", len(ts)))
print("  %-12s %6d" % ("overdue", sum(1 for t in ts if t["overdue"])))'
echo
echo "Figures per unit (hotline-city figures --by unit):"
city figures --from 2026-03-01 --to 2026-03-31 --by unit
echo
echo "Early warnings (hotline-city alerts):"
city alerts --since 2026-03-01 | sed -n '1,12p'

# Two typical cases for the bulletin: the multi-unit matter and the first ticket closed with a satisfied caller.
city typical "$MULTI" --summary "市民反映小区停水，供水集团牵头、燃气公司协办排查管线，当日恢复供水并消除隐患。" >/dev/null
CLOSED=$(city list --status closed --json --limit 100000 | python3 -c 'import json,sys; ts = json.load(sys.stdin); print(ts[-1]["id"] if ts else "")')
[ -n "$CLOSED" ] && city typical "$CLOSED" --summary "市民反映的问题经承办单位现场处理后解决，回访满意。" >/dev/null
city report --month 2026-03 --out "$DIR/bulletin-2026-03.html" >/dev/null
city report --month 2026-03 --format csv --out "$DIR/bulletin-2026-03.csv" >/dev/null
city report --month 2026-03 --public --out "$DIR/open-data-2026-03.html" >/dev/null
# (A folder an earlier export wrote is replaced whole; one from before that release lacks its mark: start afresh.)
rm -rf "$DIR/kb-site"
city kb export --public "$DIR/kb-site" >/dev/null
# The evening backup of every node (备份), each taken while it runs: what `restore` puts back after a lost disk
# (in production the hotline-backup@NODE.timer of deploy/systemd; a node never backed up is an ATTENTION below).
rm -rf "$DIR/backups" && mkdir -p "$DIR/backups"
for n in $NODES; do node "$n" backup --out "$DIR/backups/$n" >/dev/null; done
echo
echo "What monitoring would see (hotline-<role> status --check, exit 1 when something needs attention):"
for n in $NODES; do node "$n" status --check | sed 's/^/  /' || true; done
echo
echo "Monthly bulletin (月通报) of the simulated month: $DIR/bulletin-2026-03.html"
echo "  tables for Excel: $DIR/bulletin-2026-03.csv · open-data edition: $DIR/open-data-2026-03.html"
echo "Public self-service knowledge base: $DIR/kb-site/index.html"
echo "Backups of every node (hotline-<role> backup): $DIR/backups/<node> — put back with hotline-<role> restore"
if [ $KEEP = 1 ]; then
  trap - EXIT
  echo
  echo "The network keeps running (--keep). Try: $BIN/hotline-city list --data $DIR/demo-city"
  echo "Stop it with: deploy/demo/run.sh --stop --dir $DIR"
fi
