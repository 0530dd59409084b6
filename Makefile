# iocguard — developer entry points. `make test` is what CI runs.
CARGO ?= cargo
BIN := target/release/iocguard

.PHONY: build release test unit lint fmt fmt-check bench fuzz clean

build:
	$(CARGO) build --locked

release:
	$(CARGO) build --locked --release

# Unit + integration tests (namespace tests need root; under CI=true they
# must run, never skip), then formatting and lint gates.
test: fmt-check lint
	$(CARGO) test --locked

unit:
	$(CARGO) test --locked --lib

lint:
	$(CARGO) clippy --locked --all-targets -- -D warnings

fmt:
	$(CARGO) fmt

fmt-check:
	$(CARGO) fmt --check

bench:
	bash benches/run.sh

# Runs each fuzz target for FUZZ_SECONDS (nightly + cargo-fuzz).
FUZZ_SECONDS ?= 60
fuzz:
	bash fuzz/run.sh $(FUZZ_SECONDS)

clean:
	$(CARGO) clean
