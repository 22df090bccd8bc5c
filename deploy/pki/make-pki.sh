#!/usr/bin/env bash
# Creates the city's private certificate authority and one key + certificate per node of a topology file.
#   make-pki.sh TOPOLOGY.json OUTDIR [--days N] [--ca-days N] [--node ID] [--force]
#   make-pki.sh TOPOLOGY.json OUTDIR --revoke ID [--crl-days N]     # a leaked key: revoke, then issue anew
#   make-pki.sh TOPOLOGY.json OUTDIR --crl [--crl-days N]           # the revocation list again (its validity)
# Output: OUTDIR/ca.key (keep it offline), OUTDIR/ca.crt, and per node OUTDIR/<id>/{node.key,node.crt,ca.crt}.
# Idempotent: the CA is reused when present; a node whose certificate still verifies against the CA, is not
# expired, is not revoked and matches its key is skipped unless --force (use --force --node ID to re-issue one node).
# Once a certificate was revoked: OUTDIR/revoked.txt (serial, node, when), OUTDIR/crl.pem signed by the CA
# (valid --crl-days, default 825), and a copy in every OUTDIR/<id>/crl.pem: install it beside ca.crt on every node.
set -euo pipefail

usage() {
    echo "usage: $0 TOPOLOGY.json OUTDIR [--days N] [--ca-days N] [--node ID] [--force] [--revoke ID] [--crl] [--crl-days N]" >&2
    exit 2
}

[ $# -ge 2 ] || usage
topology=$1
outdir=$2
shift 2
days=825
ca_days=3650
crl_days=825
force=0
only=""
revoke=""
crl_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --days) [ $# -ge 2 ] || usage; days=$2; shift 2 ;;
        --ca-days) [ $# -ge 2 ] || usage; ca_days=$2; shift 2 ;;
        --crl-days) [ $# -ge 2 ] || usage; crl_days=$2; shift 2 ;;
        --node) [ $# -ge 2 ] || usage; only=$2; shift 2 ;;
        --force) force=1; shift ;;
        --revoke) [ $# -ge 2 ] || usage; revoke=$2; shift 2 ;;
        --crl) crl_only=1; shift ;;
        *) usage ;;
    esac
done
case "$days$ca_days$crl_days" in *[!0-9]*) echo "error: --days, --ca-days and --crl-days take a whole number of days" >&2; exit 2 ;; esac
if [ -n "$revoke" ]; then
    # A revoked node gets a new certificate at once: the one its operator installs after the leak.
    [ -z "$only" ] || [ "$only" = "$revoke" ] || { echo "error: --revoke $revoke and --node $only name different nodes" >&2; exit 2; }
    only=$revoke
    force=1
fi

command -v openssl >/dev/null || { echo "error: the openssl command is required (apt-get install openssl)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "error: python3 is required to read the topology" >&2; exit 1; }
[ -r "$topology" ] || { echo "error: cannot read topology file $topology" >&2; exit 1; }

# Node ids, one per line; the JSON parse refuses anything that is not an object with "nodes": [{"id": ...}].
ids=$(python3 -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    data = json.load(f)
nodes = data.get("nodes") if isinstance(data, dict) else None
if not isinstance(nodes, list) or not nodes:
    sys.exit("error: the topology has no \"nodes\" list")
for node in nodes:
    if not isinstance(node, dict) or not isinstance(node.get("id"), str):
        sys.exit("error: every node needs a string \"id\"")
    print(node["id"])
' "$topology")

for id in $ids; do
    if ! [[ "$id" =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]]; then
        echo "error: node id \"$id\" is not DNS-safe: use lowercase letters, digits and inner hyphens" >&2
        exit 1
    fi
done
if [ -n "$only" ] && [ -z "$revoke" ] && ! printf '%s\n' $ids | grep -qx -- "$only"; then
    echo "error: node \"$only\" is not in $topology" >&2
    exit 1
fi

umask 077
mkdir -p "$outdir"
ca_key="$outdir/ca.key"
ca_crt="$outdir/ca.crt"

if [ -s "$ca_key" ] && [ -s "$ca_crt" ]; then
    echo "using the existing authority $ca_crt"
else
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$ca_key" 2>/dev/null
    openssl req -x509 -new -key "$ca_key" -sha256 -days "$ca_days" \
        -subj "/CN=hotline city authority $(date -u +%Y%m%d%H%M%S)" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$ca_crt"
    chmod 600 "$ca_key"
    chmod 644 "$ca_crt"
    echo "created the authority $ca_crt"
fi

crl="$outdir/crl.pem"
revoked="$outdir/revoked.txt"

# Writes crl.pem from revoked.txt ("SERIAL NODE NOT_AFTER REVOKED_AT", hex serial, times as openssl's index
# writes them), signed by the authority and valid --crl-days, and copies it to every node's folder.
write_crl() {
    local work serial node not_after revoked_at
    work=$(mktemp -d)
    : > "$work/index.txt"
    while read -r serial node not_after revoked_at; do
        printf 'R\t%s\t%s\t%s\tunknown\t/CN=%s\n' "$not_after" "$revoked_at" "$serial" "$node" >> "$work/index.txt"
    done < "$revoked"
    [ -s "$outdir/crlnumber" ] || echo 01 > "$outdir/crlnumber"
    cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = city
[ city ]
database = $work/index.txt
crlnumber = $outdir/crlnumber
default_md = sha256
default_crl_days = $crl_days
CNF
    openssl ca -config "$work/ca.cnf" -gencrl -keyfile "$ca_key" -cert "$ca_crt" -out "$work/crl.pem" 2>"$work/err" || {
        echo "error: openssl ca -gencrl failed: $(cat "$work/err")" >&2; rm -rf "$work"; exit 1; }
    install -m 644 "$work/crl.pem" "$crl"
    for id in $ids; do [ -d "$outdir/$id" ] && install -m 644 "$crl" "$outdir/$id/crl.pem"; done
    rm -rf "$work"
    echo "wrote the revocation list $crl ($(wc -l < "$revoked") revoked, valid $crl_days days): copy it beside ca.crt into every node's DATA/tls/ and reload each node (systemctl reload)"
}

if [ -n "$revoke" ]; then
    cert="$outdir/$revoke/node.crt"
    [ -s "$cert" ] || { echo "error: no certificate to revoke at $cert" >&2; exit 1; }
    serial=$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)
    if ! { [ -f "$revoked" ] && awk '{print $1}' "$revoked" | grep -qx -- "$serial"; }; then
        not_after=$(date -u -d "$(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2)" +%Y%m%d%H%M%SZ)
        echo "$serial $revoke ${not_after:2} $(date -u +%y%m%d%H%M%SZ)" >> "$revoked"
    fi
    write_crl
    echo "revoked $cert (serial $serial)"
elif [ "$crl_only" = 1 ]; then
    [ -s "$revoked" ] || { echo "error: nothing was revoked yet ($revoked does not exist): there is no list to write" >&2; exit 1; }
    write_crl
    exit 0
fi

# True when $1/node.crt verifies against the CA (and its revocation list), is valid for at least a day, and
# matches $1/node.key.
node_is_valid() {
    local dir=$1
    local check=(-CAfile "$ca_crt")
    [ -s "$crl" ] && check+=(-crl_check -CRLfile "$crl")
    [ -s "$dir/node.crt" ] && [ -s "$dir/node.key" ] || return 1
    openssl verify "${check[@]}" "$dir/node.crt" >/dev/null 2>&1 || return 1
    openssl x509 -in "$dir/node.crt" -noout -checkend 86400 >/dev/null 2>&1 || return 1
    [ "$(openssl x509 -in "$dir/node.crt" -noout -pubkey)" = "$(openssl pkey -in "$dir/node.key" -pubout)" ]
}

for id in $ids; do
    [ -z "$only" ] || [ "$id" = "$only" ] || continue
    dir="$outdir/$id"
    mkdir -p "$dir"
    if [ "$force" = 0 ] && node_is_valid "$dir"; then
        echo "kept $dir/node.crt (still valid; --force to re-issue)"
        cp "$ca_crt" "$dir/ca.crt"
        if [ -s "$crl" ]; then cp "$crl" "$dir/crl.pem"; fi
        continue
    fi
    work=$(mktemp -d)
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/node.key" 2>/dev/null
    openssl req -new -key "$work/node.key" -subj "/CN=$id" -out "$work/node.csr"
    cat > "$work/ext.cnf" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:$id
EXT
    openssl x509 -req -in "$work/node.csr" -CA "$ca_crt" -CAkey "$ca_key" \
        -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 \
        -extfile "$work/ext.cnf" -out "$work/node.crt" 2>/dev/null
    # Install key and certificate together so a reader never sees a new key with an old certificate for long.
    install -m 600 "$work/node.key" "$dir/node.key"
    install -m 644 "$work/node.crt" "$dir/node.crt"
    install -m 644 "$ca_crt" "$dir/ca.crt"
    if [ -s "$crl" ]; then install -m 644 "$crl" "$dir/crl.pem"; fi
    rm -rf "$work"
    echo "issued $dir/node.crt for $id (valid $days days)"
done
