# Lamina: the two commands are `make demo` and `make test`.
# Both install what is missing (Debian packages, hugepages), then build.

BUILD      ?= build
BUILD_ASAN ?= build-asan
MESON_OPTS ?=
# Tests may run long on a loaded 2-core machine; meson multiplies timeouts.
TEST_TIMEOUT_MULT ?= 3

.PHONY: all deps hugepages build build-asan demo test test-asan unit bench clean

all: build

deps:
	@scripts/install-deps.sh

hugepages:
	@scripts/hugepages.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) -Db_sanitize=address,undefined -Db_lundef=false $(MESON_OPTS)

build-asan: deps $(BUILD_ASAN)/build.ninja
	ninja -C $(BUILD_ASAN)

demo: build hugepages
	@scripts/demo.sh $(BUILD)

# Every test: unit tests (cmocka) and integration tests (namespaces, real
# daemons), then the same suite under AddressSanitizer and
# UndefinedBehaviorSanitizer.  The last line counts them for CI.
test: build hugepages
	@scripts/run-tests.sh $(BUILD) $(TEST_TIMEOUT_MULT) $(if $(filter 1 true,$(NO_ASAN)),,$(BUILD_ASAN))

test-asan: build-asan hugepages
	@scripts/run-tests.sh $(BUILD_ASAN) $(TEST_TIMEOUT_MULT)

unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

# bench-traffic.sh ends with status 1 when a contender failed (FAILED in
# its row, e.g. starved of its CPU): make says so and goes on.
bench: build hugepages
	@scripts/bench.sh $(BUILD)
	-@scripts/bench-traffic.sh $(BUILD)
	@scripts/bench-ebpf.sh $(BUILD)
	@scripts/bench-scale.sh $(BUILD)
	@$(BUILD)/broker/bench-admit
	@scripts/bench-vne-md.sh $(BUILD)
	@scripts/bench-leasing.sh $(BUILD)
	@scripts/bench-multi.sh $(BUILD)
	@scripts/bench-conformance.sh $(BUILD)
	@scripts/bench-reroute.sh $(BUILD)
	@scripts/bench-reroute.sh $(BUILD) tunnel

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
