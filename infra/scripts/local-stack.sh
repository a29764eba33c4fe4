# Sourced by the scripts that run against a local stack of their own
# (schemathesis.sh, first-import.sh): `start_local_stack NAME LOG` builds
# the `contacts` binary unless CONTACTS names one, starts the stack on a
# free loopback port in the background, stops it however the script ends
# (SIGTERM lets it stop its pollers and moto; one that does not stop in
# time is killed with its process group), and waits until it is healthy.
# It sets CONTACTS, PORT and API (http://127.0.0.1:PORT). Called again, it
# starts another stack on another port (unset PORT first) and stops them
# all at the end. The stack serves the built pages (web/dist) when built.

start_local_stack() {
  local name=$1 log=$2
  PYTHON=${PYTHON:-python3}
  CARGO=${CARGO:-cargo}
  # moto's server from PyPI when missing.
  "$PYTHON" -c "import moto.server, flask, werkzeug" 2>/dev/null ||
    "$PYTHON" -m pip install -q 'moto[server]'
  # Built first so that the wait for the stack is not spent compiling.
  if [ -z "${CONTACTS:-}" ]; then
    "$CARGO" build -q -p contacts
    CONTACTS=${CARGO_TARGET_DIR:-target}/debug/contacts
  fi
  test -x "$CONTACTS" || { echo "$name: no contacts binary at $CONTACTS" >&2; exit 1; }

  PORT=${PORT:-$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  API="http://127.0.0.1:$PORT"
  set -m
  PORT=$PORT "$CONTACTS" run >"$log" 2>&1 &
  LOCAL_STACK=$!
  LOCAL_STACKS="${LOCAL_STACKS:-} $LOCAL_STACK"
  set +m
  trap stop_local_stacks EXIT
  trap 'exit 130' INT TERM

  for _ in $(seq 240); do
    local_stack_healthy && break
    if ! kill -0 "$LOCAL_STACK" 2>/dev/null; then
      echo "$name: the local stack stopped before it was healthy:" >&2
      tail -n 30 "$log" >&2
      exit 1
    fi
    sleep 0.5
  done
  local_stack_healthy || {
    echo "$name: the local stack is not healthy after 2 minutes:" >&2
    tail -n 30 "$log" >&2
    exit 1
  }
}

stop_local_stacks() {
  local stack
  for stack in $LOCAL_STACKS; do
    kill -0 "$stack" 2>/dev/null && kill -TERM "$stack" 2>/dev/null || true
  done
  for stack in $LOCAL_STACKS; do
    for _ in $(seq 50); do
      kill -0 "$stack" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$stack" 2>/dev/null && kill -KILL -- "-$stack" 2>/dev/null || true
  done
}

# Healthy means the API answers and reaches its table, bucket and queues.
local_stack_healthy() {
  "$PYTHON" - "$API/v1/health" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}
