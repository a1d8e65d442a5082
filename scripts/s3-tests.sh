#!/usr/bin/env bash
# ceph/s3-tests (the boto3 functional suite) against this checkout's S3 gateway. Not part of
# `npm test`: it needs Python, a checkout of https://github.com/ceph/s3-tests and ~30 minutes.
#
#   S3TESTS_DIR=~/s3-tests scripts/s3-tests.sh [pytest args...]
#   S3TESTS_DIR=~/s3-tests scripts/s3-tests.sh -k "bucket_list or multipart"
#
# Run `npm run build` first (the gateway runs from dist/ through bin/tierfs.js). The script writes
# the suite's config (three users and anonymous access, as the suite expects), starts a gateway on
# a scratch root at 127.0.0.1:$S3TESTS_PORT (8000), runs pytest on
# s3tests_boto3/functional/test_s3.py in $S3TESTS_DIR and stops the gateway. Set S3TESTS_PYTHON to
# a Python with the suite's requirements.txt installed (default python3). See docs/gateway.md,
# "Conformance: ceph/s3-tests".
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
suite=${S3TESTS_DIR:?set S3TESTS_DIR to a checkout of ceph/s3-tests}
port=${S3TESTS_PORT:-8000}
python=${S3TESTS_PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/tierfs-s3tests.XXXXXX")
mkdir -p "$work/root"

main=AKIAS3TESTMAIN0001:s3tests-main-secret-0000000000000000000
alt=AKIAS3TESTALT00001:s3tests-alt-secret-00000000000000000000
tenant=AKIAS3TESTTENANT01:s3tests-tenant-secret-000000000000000000
section() { # name user key:secret
  printf '[%s]\ndisplay_name = %s\nuser_id = %s\nemail = %s@example.com\naccess_key = %s\nsecret_key = %s\n\n' \
    "$1" "$2" "$2" "$2" "${3%%:*}" "${3#*:}"
}
{
  printf '[DEFAULT]\nhost = 127.0.0.1\nport = %s\nis_secure = False\nssl_verify = False\n\n' "$port"
  printf '[fixtures]\nbucket prefix = s3t-{random}-\n\n'
  section 's3 main' main "$main"
  section 's3 alt' alt "$alt"
  section 's3 tenant' tenant "$tenant"
  # Newer suites read these sections at start-up; the gateway has no IAM, so those tests fail.
  section 'iam' main "$main"
  section 'iam root' main "$main"
  section 'iam alt root' alt "$alt"
} >"$work/s3tests.conf"

node "$here/bin/tierfs.js" \
  "-Dtierfs.proxy.s3.users=$main:main,$alt:alt,$tenant:tenant" \
  -Dtierfs.proxy.s3.anonymous.enabled=true \
  "-Dtierfs.proxy.s3.state.dir=$work/state" "-Dtierfs.work.dir=$work/work" \
  gateway --protocol s3 --root "$work/root" --port "$port" --host 127.0.0.1 >"$work/gateway.log" 2>&1 &
gateway=$!
cleanup() {
  kill "$gateway" 2>/dev/null || true
  wait "$gateway" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  kill -0 "$gateway" 2>/dev/null || { cat "$work/gateway.log"; exit 1; }
  sleep 0.2
done

cd "$suite"
S3TEST_CONF="$work/s3tests.conf" "$python" -m pytest -p no:cacheprovider \
  s3tests_boto3/functional/test_s3.py "$@"
