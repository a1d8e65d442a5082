#!/usr/bin/env bash
# Aliyun's oss2 and Qiniu's Python SDK against this checkout's OSS and Kodo gateways. Not part of
# `npm test`: it needs the two Python SDKs (oss2 2.18, qiniu 7.18), which CI does not have.
#
#   scripts/pysdk-check.sh                     # pip install oss2==2.18.* qiniu==7.18.* first, or
#   PYSDK_PATH=/path/to/sdks scripts/pysdk-check.sh   # a directory holding the oss2/ and qiniu/ packages
#
# Run `npm run build` first (the gateways run from dist/ through bin/tierfs.js). The script starts an
# OSS gateway, a single-bucket OSS gateway (--bucket) and a Kodo gateway on scratch roots (ports
# $PYSDK_OSS_PORT / $PYSDK_KODO_PORT, default 0 = free ones), runs scripts/pysdk-check.py against
# them and stops them. It prints one line per check and, per dialect, how many of the compatibility
# table's supported operations pass; it exits 0 only when every check passed. Set
# PYSDK_PYTHON to a Python with requests and crcmod (default python3). See docs/gateway-oss.md,
# "Checking with oss2 and Qiniu's Python SDK".
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYSDK_PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/tierfs-pysdk.XXXXXX")
mkdir -p "$work/oss" "$work/kodo"
ak=AKPYSDKCHECK0001
sk=pysdk-check-secret-0000000000000000
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

start() { # name log args...
  local name=$1 log=$2
  shift 2
  node "$here/bin/tierfs.js" "-Dtierfs.work.dir=$work/$name-work" "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 150); do
    port=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$log" | head -1 | sed 's/.*://') || true
    [ -n "$port" ] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.2
  done
  cat "$log"
  exit 1
}

start oss "$work/oss.log" "-Dtierfs.gateway.oss.users=$ak:$sk" \
  gateway --protocol oss --root "$work/oss" --port "${PYSDK_OSS_PORT:-0}" --host 127.0.0.1
oss_port=$port
mkdir -p "$work/single"
start single "$work/single.log" "-Dtierfs.gateway.oss.users=$ak:$sk" \
  gateway --protocol oss --root "$work/single" --bucket pysdk-single --port 0 --host 127.0.0.1
single_port=$port
start kodo "$work/kodo.log" "-Dtierfs.gateway.kodo.user.$ak=$sk" \
  gateway --protocol kodo --root "$work/kodo" --port "${PYSDK_KODO_PORT:-0}" --host 127.0.0.1
kodo_port=$port

PYTHONPATH="${PYSDK_PATH:+$PYSDK_PATH:}${PYTHONPATH:-}" PYSDK_AK=$ak PYSDK_SK=$sk \
  OSS_ENDPOINT="http://127.0.0.1:$oss_port" KODO_HOST="127.0.0.1:$kodo_port" \
  OSS_SINGLE_ENDPOINT="http://127.0.0.1:$single_port" OSS_SINGLE_BUCKET=pysdk-single \
  "$python" "$here/scripts/pysdk-check.py"
