# The project's commands. `make demo` and `make test` are the two a newcomer needs.
.PHONY: demo test run token reset bench bench-pipeline bench-search fmt lint moto package lint-template pages

CARGO ?= cargo
PYTHON ?= python3
PORT ?= 3000
REVIEW_TTL_SECONDS ?= 3600
WORKSPACE ?= demo
ROLE ?= owner
EMAIL ?= $(ROLE)@$(WORKSPACE).local

# moto's server is the local AWS: installed from PyPI when missing.
moto:
	@$(PYTHON) -c "import moto.server, flask, werkzeug" 2>/dev/null || $(PYTHON) -m pip install -q 'moto[server]'

# The main job end to end on the local stack: start it, import
# examples/clientes.csv through the HTTP API and a presigned S3 PUT, show the
# review, confirm, follow the progress, download the result, stop.
demo: moto
	$(CARGO) run -q -p contacts -- demo examples/clientes.csv --default-country EC --out target/demo

# Every test (the same command CI runs): unit, rule, property, sample,
# command, local-stack, end-to-end and fault-suite tests; then the SAM
# template through cfn-lint, the API against its OpenAPI document with
# schemathesis, the README's first import by hand (curl and jq) as written,
# the pages' unit tests and browser tests (Node.js and npm, Debian's
# Chromium), and a one-minute fuzzing smoke of the engine. Installs moto,
# cfn-lint, schemathesis, cargo-fuzz and the pages' npm packages when
# missing.
test: moto
	$(CARGO) test --workspace --locked
	$(MAKE) -s lint-template
	CONTACTS=$${CARGO_TARGET_DIR:-target}/debug/contacts bash infra/scripts/schemathesis.sh
	CONTACTS=$${CARGO_TARGET_DIR:-target}/debug/contacts bash infra/scripts/first-import.sh
	CONTACTS=$${CARGO_TARGET_DIR:-target}/debug/contacts bash infra/scripts/browser-tests.sh
	bash tests/fuzz/smoke.sh

# The pages (web/): the import wizard, the workspace app and the
# <contact-import> element, built with Vite into web/dist. Needs Node.js and
# npm; installs the locked packages (package-lock.json) when missing.
pages:
	cd web && { test -d node_modules || npm ci --no-audit --no-fund; } && npm run -s build

# The local stack in the foreground; prints the pages' address with a
# sign-in link, the API URL and a token.
run: moto pages
	PORT=$(PORT) REVIEW_TTL_SECONDS=$(REVIEW_TTL_SECONDS) $(CARGO) run -q -p contacts -- run

# A token the running stack accepts (same key: JWT_SECRET or the local
# default), for EMAIL (who the history says started an import).
token:
	@$(CARGO) run -q -p contacts -- token --workspace $(WORKSPACE) --role $(ROLE) --email $(EMAIL)

# The month-end reset, now, on the stack `make run` started (same PORT).
reset:
	@PORT=$(PORT) $(CARGO) run -q -p contacts -- reset

# Speed and memory figures of the engine against a Python csv + phonenumbers
# validator (installs the Python package when missing); see docs/BENCHMARKS.md.
bench:
	$(PYTHON) -c "import phonenumbers, xlsxwriter" 2>/dev/null || $(PYTHON) -m pip install -q phonenumbers XlsxWriter
	$(CARGO) run --release -p contacts --bin bench

# A 200,000-row import end to end on the local stack: time per stage and AWS
# calls per 1,000 rows; see docs/PIPELINE.md.
bench-pipeline: moto
	$(CARGO) run --release -p contacts --bin pipeline-bench -- $(or $(ROWS),200000) $(ARGS)

# Searching a workspace of 200,000 contacts on the local stack: what one page
# of each kind of search reads; see docs/BENCHMARKS.md.
bench-search: moto
	$(CARGO) run --release -p contacts --bin search-bench -- $(or $(CONTACTS),200000)

# Every Lambda function built for AWS (Amazon Linux 2023, arm64) with
# cargo-lambda, which cross-compiles through zig (both from PyPI); the
# artifacts land in target/lambda/<function>/bootstrap. See docs/DEPLOY.md.
FUNCTIONS := api validate worker jobs reset dead-letters
package:
	@$(PYTHON) -m ziglang version >/dev/null 2>&1 && command -v cargo-lambda >/dev/null || $(PYTHON) -m pip install -q cargo-lambda ziglang
	cargo lambda build --release --arm64 $(addprefix -p ,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do \
	  test -s target/lambda/$$f/bootstrap || { echo "missing target/lambda/$$f/bootstrap" >&2; exit 1; }; \
	  echo "target/lambda/$$f/bootstrap $$(du -h target/lambda/$$f/bootstrap | cut -f1)"; \
	done

# The SAM template checked by cfn-lint (from PyPI).
lint-template:
	@command -v cfn-lint >/dev/null || $(PYTHON) -m pip install -q cfn-lint
	cfn-lint infra/template.yaml

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
