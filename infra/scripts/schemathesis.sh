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

# The tools: schemathesis and moto's server, from PyPI when missing.
if ! "$PYTHON" -m schemathesis.cli --version 2>/dev/null | grep -q "version 4\."; then
  "$PYTHON" -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$PYTHON" -c "import moto.server, flask, werkzeug" 2>/dev/null ||
  "$PYTHON" -m pip install -q 'moto[server]'

# Built first so that the wait for the stack below is not spent compiling.
if [ -z "${CONTACTS:-}" ]; then
  "$CARGO" build -q -p contacts
  CONTACTS=${CARGO_TARGET_DIR:-target}/debug/contacts
fi
test -x "$CONTACTS" || { echo "schemathesis.sh: no contacts binary at $CONTACTS" >&2; exit 1; }

PORT=${PORT:-$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
API="http://127.0.0.1:$PORT"

# The stack in the background, stopped however this script ends: SIGTERM
# lets it stop its pollers and moto; a stack that does not stop in time is
# killed with its process group.
prepared=$SECONDS
set -m
PORT=$PORT "$CONTACTS" run >"$OUT/stack.log" 2>&1 &
STACK=$!
set +m
stop_stack() {
  if kill -0 "$STACK" 2>/dev/null; then
    kill -TERM "$STACK" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$STACK" 2>/dev/null || return 0
      sleep 0.2
    done
    kill -KILL -- "-$STACK" 2>/dev/null || true
  fi
}
trap stop_stack EXIT
trap 'exit 130' INT TERM

# Healthy means the API answers and reaches its table, bucket and queues.
healthy() {
  "$PYTHON" - "$API/v1/health" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}
for _ in $(seq 240); do
  healthy && break
  if ! kill -0 "$STACK" 2>/dev/null; then
    echo "schemathesis.sh: the local stack stopped before it was healthy:" >&2
    tail -n 30 "$OUT/stack.log" >&2
    exit 1
  fi
  sleep 0.5
done
healthy || {
  echo "schemathesis.sh: the local stack is not healthy after 2 minutes:" >&2
  tail -n 30 "$OUT/stack.log" >&2
  exit 1
}

echo "schemathesis.sh: tools and build ${prepared}s; the stack at $API ready $((SECONDS - prepared))s later"

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
