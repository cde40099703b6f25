# otagw — a plain Makefile (STYLE.md §7).
#
#   make            build otagw, otactl and otasim (the carrier + SIM simulator)
#   make test       everything the CI runs: unit, fuzz corpora, integration
#   make demo       the gateway's main job end to end on embedded defaults
#   make bench      benchmarks that print their figures
#   make fuzz       libFuzzer targets (clang, ASan + UBSan)
#   make SANITIZER=address   (or undefined, or address,undefined) any target
#
# Every source folder is picked up by wildcard: adding a file needs no edit
# here. codec/ ota/ queue/ gateway/ form one archive; gateway/otagw.c,
# ctl/*.c and tests/sim/*.c are the three programs.

CC        ?= cc
SANITIZER ?=
OPT       ?= -O2
BUILD     ?= build$(if $(SANITIZER),-$(subst $(comma),-,$(SANITIZER)))
comma     := ,

# Debian 12 packages; see tools/bootstrap.sh.
PKGS      := libsmpp34 hiredis openssl inih libmicrohttpd
# pkg-config hands out -I; turn it into -isystem so library headers do not
# trip our warning flags.
PKG_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lev -lm

WARN      := -Wall -Wextra -Wstrict-prototypes -Wwrite-strings -Wshadow -Wformat=2 \
             -Wmissing-prototypes -Wno-missing-field-initializers -Werror
CFLAGS    ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $(WARN) -I. $(PKG_CFLAGS) \
             $(CFLAGS) $(SAN_FLAGS)
LDFLAGS   ?=
ifneq ($(SANITIZER),)
SAN_FLAGS := -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

LIB_SRC   := $(wildcard codec/*.c ota/*.c queue/*.c) \
             $(filter-out gateway/otagw.c,$(wildcard gateway/*.c))
CTL_SRC   := $(wildcard ctl/*.c)
SIM_SRC   := $(wildcard tests/sim/*.c)
TLIB_SRC  := $(wildcard tests/lib/*.c)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
CHAOS_SRC := $(wildcard tests/chaos/*.c)
TOOL_SRC  := $(wildcard tests/tools/*.c)
ITEST_SRC := $(wildcard tests/integration/*.c)

obj        = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB        := $(BUILD)/libotagw.a
TLIB       := $(BUILD)/libotatest.a
OTAGW      := $(BUILD)/otagw
OTACTL     := $(BUILD)/otactl
OTASIM     := $(BUILD)/otasim
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCH_BIN  := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
CHAOS_BIN  := $(patsubst tests/chaos/%.c,$(BUILD)/chaos/%,$(CHAOS_SRC))
TOOL_BIN   := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
# Helper programs the integration scripts drive (tests/integration/*.c).
ITEST_BIN  := $(patsubst tests/integration/%.c,$(BUILD)/itest/%,$(ITEST_SRC))
PROGS      := $(if $(wildcard gateway/otagw.c),$(OTAGW)) $(if $(CTL_SRC),$(OTACTL)) \
              $(if $(SIM_SRC),$(OTASIM))

# Keep objects that only serve as steps to a test or bench binary.
.SECONDARY:

.PHONY: all deps test unit demo bench fuzz clean format format-check chaos

all: deps
	@$(MAKE) --no-print-directory build-all

build-all: $(PROGS) $(UNIT_BIN) $(BENCH_BIN) $(TOOL_BIN) $(ITEST_BIN) $(CHAOS_BIN)

deps:
	@sh tools/bootstrap.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(call obj,$(LIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(TLIB): $(call obj,$(TLIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(OTAGW): $(call obj,gateway/otagw.c) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(OTACTL): $(call obj,$(CTL_SRC)) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(OTASIM): $(call obj,$(SIM_SRC)) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(if $(TLIB_SRC),$(TLIB)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka -ljson-c

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(if $(TLIB_SRC),$(TLIB)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Test-only programs that integration scripts drive (tests/tools/*.c).
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(if $(TLIB_SRC),$(TLIB)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/itest/%: $(BUILD)/obj/tests/integration/%.o $(if $(TLIB_SRC),$(TLIB)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The chaos soak's own tools (tests/chaos/*.c, docs/reliability.md).
$(BUILD)/chaos/%: $(BUILD)/obj/tests/chaos/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Fuzz targets: clang + libFuzzer + ASan + UBSan, in a build tree of their own.
FUZZ_BUILD  := build-fuzz
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -I. $(PKG_CFLAGS) -g -O1 \
               -Wall -Wextra -Werror $(FUZZ_SAN)
FUZZ_BIN    := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
FUZZ_LIB    := $(FUZZ_BUILD)/libotagw.a

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_BIN)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(LIB_SRC))
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o $(FUZZ_LIB)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

test: all
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory SANITIZER=address,undefined build-all
	@BUILD=$(BUILD) SAN_BUILD=build-address-undefined FUZZ_BUILD=$(FUZZ_BUILD) \
		sh tests/run.sh

unit: all
	@BUILD=$(BUILD) ONLY=unit sh tests/run.sh

bench: all
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done
	@for s in $(wildcard tests/bench/bench_*.sh); do echo "== $$s"; BUILD=$(BUILD) bash $$s || exit 1; done

demo: all
	@BUILD=$(BUILD) bash tests/demo.sh

chaos: all
	@sh tests/chaos.sh

FMT_SRC = $(shell find codec ota queue gateway ctl tests -name '*.[ch]' 2>/dev/null)
format:
	clang-format -i $(FMT_SRC)

format-check:
	@clang-format --dry-run -Werror $(FMT_SRC)

clean:
	rm -rf build build-* 

-include $(shell find $(BUILD) $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
