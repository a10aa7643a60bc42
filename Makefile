# NUCLEO-MEM Tock firmware: the one entry point.
#
#   make run      boot the QEMU twin with every app installed
#   make test     host tests, then system tests against the booted twin
#   make bench    benchmarks, results in build/bench/results.md
#   make memory-report   every region's size and use, for every board
#
# Everything missing on the machine is installed first (toolchains, QEMU,
# elf2tab, tockloader, test clients). See README.md.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# ---- pinned versions ------------------------------------------------------
TOCK_URL        := https://github.com/tock/tock.git
TOCK_COMMIT     := 65608d717a1da9945deffec37fb3afa6fda03d29
LIBTOCK_URL     := https://github.com/tock/libtock-rs.git
LIBTOCK_COMMIT  := 0ff277ba7f33c69a2bf845bc407b4c11cdc9fb14
KERNEL_TOOLCHAIN := nightly-2026-07-21
APPS_TOOLCHAIN  := 1.95.0
ELF2TAB_VERSION := 0.13.0
PY_REQUIREMENTS := tools/requirements.txt

# Only what the kernel build reads is checked out.
TOCK_SPARSE := kernel arch libraries capsules chips/virtio chips/qemu_rv32_virt_chip \
               chips/qemu_virt_chip chips/sifive chips/segger boards/components \
               boards/build_scripts boards/cargo
LIBTOCK_SPARSE := src apis build_scripts libraries panic_handlers platform runner runtime \
                  syscalls_tests tools ufmt unittest

BUILD   := build
VENV    := $(BUILD)/venv
PY      := $(VENV)/bin/python3
STAMPS  := $(BUILD)/stamps
PATCHES := $(sort $(wildcard kernel-patches/*.patch))

# ---- host ports for `make run` (board port in comments) --------------------
HTTP_PORT ?= 8000
WS_PORT   ?= 8080
FTP_PORT  ?= 2121

.PHONY: help
help:
	@echo "make run | test | bench | memory-report | deps | tools | kernel | apps | image | clean"

# ---- tools ---------------------------------------------------------------
.PHONY: tools
tools: $(STAMPS)/host-packages $(STAMPS)/toolchains $(STAMPS)/venv

$(STAMPS)/host-packages: tools/install-host-deps.sh
	@mkdir -p $(@D)
	@tools/install-host-deps.sh
	@touch $@

$(STAMPS)/toolchains: tools/install-toolchains.sh Makefile
	@mkdir -p $(@D)
	@tools/install-toolchains.sh $(KERNEL_TOOLCHAIN) $(APPS_TOOLCHAIN) $(ELF2TAB_VERSION)
	@touch $@

$(STAMPS)/venv: $(PY_REQUIREMENTS)
	@mkdir -p $(@D)
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r $(PY_REQUIREMENTS)
	@touch $@

# ---- upstream sources ------------------------------------------------------
.PHONY: deps
deps:
	@tools/fetch-upstream.sh tock $(TOCK_URL) $(TOCK_COMMIT) $(TOCK_SPARSE)
	@tools/fetch-upstream.sh libtock-rs $(LIBTOCK_URL) $(LIBTOCK_COMMIT) $(LIBTOCK_SPARSE)
	@tools/apply-patches.sh third_party/tock $(PATCHES)

# ---- builds ----------------------------------------------------------------
TWIN        := $(BUILD)/qemu_twin
TWIN_KERNEL := target/riscv32imac-unknown-none-elf/release/qemu_twin
DISK_MIB    ?= 64

.PHONY: kernel apps image
kernel: deps tools
	@cd boards/qemu_twin && cargo build --quiet --release
	@mkdir -p $(TWIN) && cp $(TWIN_KERNEL) $(TWIN)/kernel.elf

apps: deps tools
	@mkdir -p $(TWIN)
	@$(PY) tools/apps.py --board qemu_twin --out $(TWIN)

# Settings files placed under /config on the eMMC image.
IMAGE_CONFIG := apps/ftp/ftp.cfg

image: $(TWIN)/disk.img
$(TWIN)/disk.img: tools/mkimage.sh $(shell find web -type f) $(IMAGE_CONFIG) | tools
	@mkdir -p $(TWIN)
	@tools/mkimage.sh web $@ $(DISK_MIB) $(IMAGE_CONFIG)

# ---- run -------------------------------------------------------------------
.PHONY: run
run: kernel apps image
	@cp --sparse=always $(TWIN)/disk.img $(TWIN)/run-disk.img
	@$(PY) tools/qemu_twin.py run --kernel $(TWIN)/kernel.elf --apps $(TWIN)/apps.bin \
	    --disk $(TWIN)/run-disk.img --layout $(TWIN)/layout.json --http-port $(HTTP_PORT) --ws-port $(WS_PORT) --ftp-port $(FTP_PORT)

# ---- tests -----------------------------------------------------------------
# Host unit tests of every host-testable crate, then system tests against
# the booted twin. The whole run is bounded; each test has its own bound.
TEST_TIMEOUT ?= 2400
.PHONY: test host-test system-test
test: host-test system-test

host-test: deps tools
	@echo "== host tests: kernel crates"
	@cargo test --quiet
	@echo "== host tests: app libraries"
	@cd apps && cargo test --quiet

system-test: kernel apps image
	@echo "== system tests against the QEMU twin"
	@timeout --kill-after=10 $(TEST_TIMEOUT) $(PY) -m pytest tests/system -p no:cacheprovider

# ---- benchmarks ------------------------------------------------------------
.PHONY: bench
bench: kernel apps image
	@$(PY) tools/bench.py

# ---- memory report ---------------------------------------------------------
.PHONY: memory-report
memory-report: kernel apps image
	@$(PY) tools/memory_report.py

.PHONY: clean
clean:
	rm -rf $(BUILD) target apps/target
