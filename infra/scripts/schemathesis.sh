#!/usr/bin/env bash
# The API against its own OpenAPI document: starts the local stack (moto's
# server, the API, the pollers), runs schemathesis on GET /v1/openapi.json
# with an owner's token, stops the stack. Fails on any 5xx, any answer whose
# status, content type or body the document does not declare.
#
#   infra/scripts/schemathesis.sh            # from the repository root
#
# CONTACTS names an already built `contacts` binary to use (`make test`
# passes the one `cargo test --workspace` just built, whose dependencies
# carry the workspace's test features; a `cargo build -p contacts` would
# compile some of them again). Without it the script builds one.
#
# EXAMPLES (per operation and phase), SEED and WORKERS tune the run; the
# defaults keep it to about two minutes on two cores. The JUnit report and
# the stack's log are left in target/schemathesis/.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3}
CARGO=${CARGO:-cargo}
EXAMPLES=${EXAMPLES:-60}
SEED=${SEED:-20261121}
WORKERS=${WORKERS:-2}
# The version the checks and flags below were written for.
SCHEMATHESIS_VERSION=4.32.5
OUT=target/schemathesis
mkdir -p "$OUT"

# schemathesis from PyPI when missing.
if ! "$PYTHON" -m schemathesis.cli --version 2>/dev/null | grep -q "version 4\."; then
  "$PYTHON" -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

# The stack in the background, stopped however this script ends.
. infra/scripts/local-stack.sh
start_local_stack schemathesis.sh "$OUT/stack.log"
echo "schemathesis.sh: the stack at $API is ready, ${SECONDS}s in"

TOKEN=$("$CONTACTS" token --workspace schemathesis --role owner)

# A fixed seed and deterministic generation (no example database kept
# between runs): the same cases every run, but for the ids the API hands
# back (new each run), which schemathesis reuses in later cases.
status=0
"$PYTHON" -m schemathesis.cli run "$API/v1/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$EXAMPLES" \
  --seed "$SEED" \
  --generation-deterministic \
  --workers "$WORKERS" \
  --request-timeout 30 \
  --no-color \
  --report junit --report-dir "$OUT" ||
  status=$?

echo "schemathesis.sh: ${SECONDS}s in all"
if [ "$status" -ne 0 ]; then
  echo "schemathesis.sh: failures above; the stack's log: $OUT/stack.log" >&2
fi
exit "$status"
