#!/usr/bin/env bash
# The README's "Your first import by hand", run exactly as written: the
# shell block between its `first-import` markers is taken from README.md
# and run against a local stack of its own, with API and TOKEN set as
# `make run` prints them. Then the result file it downloaded is checked.
# So the sequence a newcomer copies cannot rot.
#
#   infra/scripts/first-import.sh            # from the repository root
#
# Needs curl and jq. CONTACTS names an already built `contacts` binary (as
# for schemathesis.sh); without it the script builds one.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=target/first-import
rm -rf "$OUT" && mkdir -p "$OUT"

for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "first-import.sh: $tool is needed" >&2; exit 1; }
done

# The block, without its fences.
sed -n '/<!-- first-import:start -->/,/<!-- first-import:end -->/p' README.md |
  grep -v -e '^<!--' -e '^```' >"$OUT/steps.sh"
test -s "$OUT/steps.sh" || { echo "first-import.sh: no first-import block in README.md" >&2; exit 1; }

. infra/scripts/local-stack.sh
start_local_stack first-import.sh "$OUT/stack.log"
TOKEN=$("$CONTACTS" token --workspace demo --role owner)

# Run where a newcomer would: the repository's examples at hand.
cd "$OUT"
ln -s "$ROOT/examples" examples
echo "first-import.sh: running README.md's steps against $API"
API=$API TOKEN=$TOKEN timeout 300 bash -euo pipefail steps.sh

# What the steps promise: the result file, every row accounted for.
test -s clientes-result.csv || { echo "first-import.sh: no result file" >&2; exit 1; }
head -c 3 clientes-result.csv | grep -q $'\xef\xbb\xbf' ||
  { echo "first-import.sh: the result file is not the service's CSV" >&2; exit 1; }
# Lines, the last counted even without its line break (no cell of this
# file holds one).
rows=$(($(awk 'END { print NR }' clientes-result.csv) - 1))
data_rows=$(($(awk 'END { print NR }' examples/clientes.csv) - 1))
[ "$rows" -eq "$data_rows" ] ||
  { echo "first-import.sh: $rows result rows for $data_rows data rows" >&2; exit 1; }
jq -e '.status == "completed" and .options.tags == ["feria-2026"] and .options.default_country == "EC"' import.json >/dev/null ||
  { echo "first-import.sh: the import did not end as the steps say:" >&2; cat import.json >&2; exit 1; }
echo "first-import.sh: README.md's first import by hand works ($rows rows in the result file)"
