# The project's commands. `make demo` and `make test` are the two a newcomer needs.
.PHONY: demo test bench fmt lint

CARGO ?= cargo
OUT ?= target/demo

# The main job, offline: dry-run an import of the example file and write its
# error file and preview (every row with its predicted outcome).
demo:
	@mkdir -p $(OUT)
	$(CARGO) run -q -p contacts -- validate examples/clientes.csv --default-country EC \
		--errors $(OUT)/clientes-errors.csv --preview $(OUT)/clientes-preview.csv
	@echo "error file: $(OUT)/clientes-errors.csv"
	@echo "preview:    $(OUT)/clientes-preview.csv"

# Every test of the workspace: unit, rule, property, sample and command tests.
test:
	$(CARGO) test --workspace --locked

# Speed and memory figures against a Python csv + phonenumbers validator
# (installs the Python package when missing); see docs/BENCHMARKS.md.
bench:
	python3 -c "import phonenumbers" 2>/dev/null || pip install -q phonenumbers
	$(CARGO) run --release -p contacts --bin bench

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
