# wirestate: the two commands are `make demo` (the main job) and `make test`
# (every test of the project). Sub-targets exist for running one part.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo

.PHONY: demo test lint test-rust test-nostd test-docs test-interop test-autobahn test-fuzz test-python test-c test-tcp-kernel test-browser bench

demo:
	$(CARGO) run --release -p wirestate --example ws_demo

test: lint test-rust test-nostd test-docs test-python test-interop test-autobahn test-fuzz test-c test-tcp-kernel test-browser
	@echo "make test: every part passed"

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

# The Python extension is tested through Python (test-python): its test
# harness would need libpython to link.
test-rust:
	$(CARGO) test --workspace --exclude wirestate-python --all-targets --all-features
	$(CARGO) test --workspace --exclude wirestate-python --doc --all-features

test-nostd:
	$(CARGO) build -p wirestate --no-default-features
	$(CARGO) build -p wirestate --no-default-features --features sim

test-docs:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -p wirestate --no-deps --all-features

test-interop:
	scripts/interop.sh

test-autobahn:
	$(CARGO) build --release -p wirestate --examples
	scripts/autobahn.sh

test-python:
	scripts/python-tests.sh

test-fuzz:
	scripts/fuzz-smoke.sh

# Root only (network namespace + TUN); prints SKIP otherwise.
test-tcp-kernel:
	scripts/tcp-kernel-interop.sh

test-c:
	scripts/c-tests.sh

# Headless Chromium (Debian's, installed by the script when root) against the
# asyncio adapter; prints SKIP when chromium is missing and cannot be installed.
test-browser:
	scripts/browser-test.sh

bench:
	$(CARGO) bench -p wirestate-benches
