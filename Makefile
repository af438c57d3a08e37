# HospitalLink. The two commands a newcomer needs are `make run` and `make test`.
.PHONY: run test setup build e2e contract bench fmt

run:      ## build everything, migrate, seed the demo on first start, serve on :3000
	./scripts/run.sh

test:     ## fmt + clippy + Rust tests on SQLite and PostgreSQL + browser tests + contract test
	./scripts/test.sh

setup:    ## install missing toolchain pieces and npm packages
	./scripts/setup.sh --browser

build:    ## server binary and site (wasm, css, static files)
	./scripts/build.sh

e2e:      ## browser tests only
	./scripts/e2e.sh

contract: ## the API contract test (schemathesis) against a freshly built server
	./scripts/build.sh && ./scripts/contract.sh

bench:    ## load benchmark of the release build
	./scripts/bench.sh

fmt:
	cargo fmt --all
