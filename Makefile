# The project's commands. `make demo` and `make test` are the two a newcomer needs.
.PHONY: demo test run token reset bench bench-pipeline fmt lint moto

CARGO ?= cargo
PYTHON ?= python3
PORT ?= 3000
REVIEW_TTL_SECONDS ?= 3600
WORKSPACE ?= demo
ROLE ?= owner

# moto's server is the local AWS: installed from PyPI when missing.
moto:
	@$(PYTHON) -c "import moto.server, flask, werkzeug" 2>/dev/null || $(PYTHON) -m pip install -q 'moto[server]'

# The main job end to end on the local stack: start it, import
# examples/clientes.csv through the HTTP API and a presigned S3 PUT, show the
# review, confirm, follow the progress, download the result, stop.
demo: moto
	$(CARGO) run -q -p contacts -- demo examples/clientes.csv --default-country EC --out target/demo

# Every test: unit, rule, property, sample, command, local-stack and
# end-to-end tests (the same command CI runs).
test: moto
	$(CARGO) test --workspace --locked

# The local stack in the foreground; prints the API URL and a token.
run: moto
	PORT=$(PORT) REVIEW_TTL_SECONDS=$(REVIEW_TTL_SECONDS) $(CARGO) run -q -p contacts -- run

# A token the running stack accepts (same key: JWT_SECRET or the local default).
token:
	@$(CARGO) run -q -p contacts -- token --workspace $(WORKSPACE) --role $(ROLE)

# The month-end reset, now, on the stack `make run` started (same PORT).
reset:
	@PORT=$(PORT) $(CARGO) run -q -p contacts -- reset

# Speed and memory figures of the engine against a Python csv + phonenumbers
# validator (installs the Python package when missing); see docs/BENCHMARKS.md.
bench:
	$(PYTHON) -c "import phonenumbers" 2>/dev/null || $(PYTHON) -m pip install -q phonenumbers
	$(CARGO) run --release -p contacts --bin bench

# A 200,000-row import end to end on the local stack: time per stage and AWS
# calls per 1,000 rows; see docs/PIPELINE.md.
bench-pipeline: moto
	$(CARGO) run --release -p contacts --bin pipeline-bench -- $(or $(ROWS),200000)

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
