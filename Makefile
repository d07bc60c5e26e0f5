# The two commands: `make run` and `make test`. Both install what is missing first.
.PHONY: run test build build-release bench fuzz deps clean format lint

JOBS ?= $(shell nproc)

run: build-release
	@scripts/run.sh

test:
	@scripts/test.sh

bench:
	@scripts/bench.sh

# Every fuzz target until 10^7 executions (FUZZ_RUNS) or FUZZ_MAX_SECONDS (5400) each; results in bench/results/fuzz.md.
fuzz:
	@scripts/fuzz.sh

deps:
	@scripts/deps.sh test

build:
	@scripts/deps.sh build
	@cmake --preset debug >/dev/null
	@cmake --build build/debug -j $(JOBS)

build-release:
	@scripts/deps.sh build
	@cmake --preset release >/dev/null
	@cmake --build build/release -j $(JOBS) --target kelu
	@mkdir -p bin && ln -sf ../build/release/src/kelu bin/kelu

lint: build
	@ls src/*/*.cpp | xargs -P $(JOBS) -n 4 clang-tidy -p build/debug --quiet

format:
	@find src -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf build bin
