# The two commands of the README: `make run` and `make test`. Both install any
# missing Debian package first (tools/install-deps.sh), then build with CMake.
BUILD ?= build
JOBS  ?= $(shell nproc)
CONF  ?= conf/pbx.yaml

.PHONY: all deps build run test unit asan fuzz format format-check clean

all: build

deps:
	@bash tools/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/bin/pbxd -c $(CONF)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# Unit tests, and a pbxd start/stop cycle, under AddressSanitizer and UBSan.
asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPBX_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS) -L 'unit|sanitize'

# libFuzzer targets of the SIP/SDP codec, FUZZ_SECONDS each (clang).
FUZZ_SECONDS ?= 60
fuzz: deps
	bash tools/fuzz.sh $(FUZZ_SECONDS)

SOURCES = $(shell git ls-files '*.c' '*.h')
format:
	clang-format -i $(SOURCES)
format-check:
	clang-format --dry-run -Werror $(SOURCES)

clean:
	rm -rf $(BUILD) build-asan build-fuzz
