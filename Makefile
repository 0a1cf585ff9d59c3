# The README's two commands. Both install what is missing (scripts/install-deps.sh),
# configure and build in Release (CMake preset `release`, Ninja, ccache), then:
#   make reproduce   run the main job `batchrmt reproduce` (results/reproduce.h5 + results/reproduce/report.md)
#   make reproduce-extended   the main job plus the paper's batch-size protocol (configs/extended.toml)
#   make test        run the whole test suite with ctest --output-on-failure
#   make check-asan  build without LibTorch under AddressSanitizer + UBSan (preset asan, the dataset
#                    formats of networks/raw included) and run its tests, the fuzz corpus replay too
#   make fuzz-ci     CI's short fuzz runs (fixed seed, FUZZ_CI_RUNS executions per reader, corpus unchanged)
#   make fuzz        fuzzing campaigns with clang's libFuzzer (preset fuzz; FUZZ_RUNS executions per
#                    reader, scripts/fuzz.sh), merging what they find into tests/fuzz/corpus/
# Other targets: make build, make notorch-test (no LibTorch), make bench, make clean.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# Debian's python (python3 on the PATH may be another interpreter without h5py/matplotlib).
PYTHON ?= /usr/bin/python3

.PHONY: deps configure build test reproduce reproduce-extended bench notorch-test check-asan fuzz fuzz-ci clean

deps:
	@scripts/install-deps.sh $(if $(filter notorch asan,$(PRESET)),--notorch,$(if $(filter fuzz,$(PRESET)),--fuzz,))

configure: deps
	cmake --preset $(PRESET)

build: configure
	cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	ctest --preset $(PRESET) -j $(JOBS) --output-on-failure

reproduce: build
	$(BUILD_DIR)/batchrmt --threads 2 reproduce --resume --out results/reproduce.h5

# The default job plus the paper's batch-size protocol (C6 part (c), C7): configs/extended.toml.
reproduce-extended: build
	$(BUILD_DIR)/batchrmt --threads 2 reproduce --resume --config configs/extended.toml --out results/reproduce-extended.h5

bench: build
	@echo "benchmark binaries: $(BUILD_DIR)/benchmarks/ (figures in docs/performance.md)"

notorch-test:
	$(MAKE) test PRESET=notorch

check-asan:
	$(MAKE) test PRESET=asan

# CI's short fuzz runs: every reader from the committed corpus with a fixed seed, the corpus left
# as committed; a finding fails the target. FUZZ_CI_RUNS executions per byte-format reader
# (about 15 s each); the HDF5 readers (result files, array datasets) fork a guarded child per execution and waits out libhdf5's
# loops (5 s each), so it gets FUZZ_CI_STORE_RUNS (about 2 minutes). MAX_TIME is a guard only.
FUZZ_CI_RUNS ?= 20000
FUZZ_CI_STORE_RUNS ?= 300
FUZZ_CI_MAX_TIME ?= 400
fuzz-ci:
	scripts/install-deps.sh --fuzz
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	FUZZ_SEED=1 FUZZ_MERGE=0 scripts/fuzz.sh build/fuzz $(FUZZ_CI_RUNS) $(FUZZ_CI_MAX_TIME) idx cifar jpeg toml
	FUZZ_SEED=1 FUZZ_MERGE=0 scripts/fuzz.sh build/fuzz $(FUZZ_CI_STORE_RUNS) $(FUZZ_CI_MAX_TIME) store arrays

FUZZ_RUNS ?= 1000000
FUZZ_MAX_TIME ?= 1800
fuzz:
	$(MAKE) configure PRESET=fuzz
	cmake --build --preset fuzz -j $(JOBS)
	scripts/fuzz.sh build/fuzz $(FUZZ_RUNS) $(FUZZ_MAX_TIME) $(FUZZ_READERS)

clean:
	rm -rf build
