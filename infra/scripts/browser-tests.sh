#!/usr/bin/env bash
# The pages in a real browser: the front end's own unit tests (Vitest),
# then its browser tests (web/e2e, Node's test runner driving Debian's
# Chromium through playwright-core) against two local stacks serving the
# built pages: one as `make run` starts it, one whose reviews expire in
# four seconds. Screenshots land in docs/screenshots.
#
#   infra/scripts/browser-tests.sh            # from the repository root
#
# Needs Node.js and npm, and Chromium at /usr/bin/chromium (Debian's
# `chromium` package; CHROMIUM names another). CONTACTS names an already
# built `contacts` binary; without it the script builds one.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=target/browser-tests
rm -rf "$OUT" && mkdir -p "$OUT"

command -v npm >/dev/null || { echo "browser-tests.sh: Node.js and npm are needed" >&2; exit 1; }
test -x "${CHROMIUM:-/usr/bin/chromium}" ||
  { echo "browser-tests.sh: no Chromium at ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)" >&2; exit 1; }

# The locked packages, the type check and the build (make pages), then the
# unit tests.
make -s pages
(cd web && npx vitest run)

. infra/scripts/local-stack.sh
start_local_stack browser-tests.sh "$OUT/stack.log"
MAIN_API=$API
unset PORT
REVIEW_TTL_SECONDS=4 start_local_stack browser-tests.sh "$OUT/expiry-stack.log"
EXPIRY_API=$API

echo "browser-tests.sh: the pages at $MAIN_API (and $EXPIRY_API, reviews of 4 s)"
API=$MAIN_API EXPIRY_API=$EXPIRY_API SCREENSHOTS=${SCREENSHOTS:-docs/screenshots} \
  timeout 600 node --test --test-concurrency=1 --test-reporter=spec web/e2e/
