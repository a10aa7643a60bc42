# NUCLEO-MEM Tock firmware: the one entry point.
#
#   make run      boot the QEMU twin with every app installed
#   make test     host tests, then system tests against the booted twin
#   make bench    benchmarks, results in build/bench/results.md
#   make fuzz     every fuzz target for 300 s (fuzz-short, in make test: 15 s each, from the seeds)
#   make lint     rustfmt and clippy (-D warnings) on every crate (in make test)
#   make soak     200 power cuts during FTP uploads, results in build/soak/results.md
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
	@echo "make run | run-m7 | test | bench | memory-report | swap-telemetry | reflash | tockloader-list"
	@echo "     fuzz | fuzz-short | soak"
	@echo "     deps | tools | kernel | apps | flash-images | web | image | clean"

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
# The Cortex-M7 twin (QEMU mps2-an500): the Arm builds, their MPU, faults.
M7          := $(BUILD)/qemu_m7
M7_KERNEL   := target/thumbv7em-none-eabihf/release/qemu_m7
# The real board: built in every run (its budgets are checked at link
# time), flashed with boards/nucleo_h723zg/Makefile.
NUCLEO        := $(BUILD)/nucleo_h723zg
NUCLEO_KERNEL := target/thumbv7em-none-eabihf/release/nucleo_h723zg
TABS          := $(BUILD)/tab
DISK_MIB    ?= 64

.PHONY: kernel apps image
# Outputs are replaced only when their bytes change (here and in the
# tools), so an unchanged build leaves the flash images as they are,
# including what tockloader installed into them.
kernel: deps tools
	@cd boards/qemu_twin && cargo build --quiet --release
	@mkdir -p $(TWIN) && { cmp -s $(TWIN_KERNEL) $(TWIN)/kernel.elf || cp $(TWIN_KERNEL) $(TWIN)/kernel.elf; }
	@cd boards/qemu_m7 && cargo build --quiet --release
	@mkdir -p $(M7) && { cmp -s $(M7_KERNEL) $(M7)/kernel.elf || cp $(M7_KERNEL) $(M7)/kernel.elf; }
	@cd boards/nucleo_h723zg && cargo build --quiet --release
	@mkdir -p $(NUCLEO) && { cmp -s $(NUCLEO_KERNEL) $(NUCLEO)/kernel.elf || cp $(NUCLEO_KERNEL) $(NUCLEO)/kernel.elf; }

apps: deps tools
	@mkdir -p $(TWIN) $(M7)
	@$(PY) tools/apps.py --board qemu_twin --out $(TWIN)
	@$(PY) tools/apps.py --board qemu_m7 --out $(M7)
	@$(PY) tools/apps.py --board nucleo_h723zg --out $(NUCLEO)
	@$(PY) tools/tabs.py --out $(TABS) $(TWIN) $(NUCLEO) $(M7)

# The NUCLEO-H723ZG's kernel binary and whole flash image (kernel + apps).
.PHONY: nucleo
nucleo: kernel apps $(NUCLEO)/flash.bin
$(NUCLEO)/flash.bin: $(NUCLEO)/kernel.elf $(NUCLEO)/apps.bin tools/flash_image.py
	@$(PY) tools/flash_image.py --kernel $(NUCLEO)/kernel.elf --apps $(NUCLEO)/apps.bin --out $@ \
	    --base 0x08000000 --kernel-bin $(NUCLEO)/kernel.bin

# The twin's whole flash (kernel, apps, settings), as a board's would be:
# flash-product.bin with the product apps, flash-test.bin with the test
# probes (both pristine: the tests boot them), and flash.bin, the device's
# flash that `make run` boots and tockloader edits. It is "flashed" again
# (copied from flash-product.bin) only when the build changed the product
# image, or by `make reflash`.
.PHONY: flash-images
flash-images: kernel apps $(TWIN)/flash-product.bin $(TWIN)/flash-test.bin $(TWIN)/flash.bin $(M7)/flash.bin $(NUCLEO)/flash.bin
$(M7)/flash.bin: $(M7)/kernel.elf $(M7)/apps.bin tools/flash_image.py
	@$(PY) tools/flash_image.py --kernel $(M7)/kernel.elf --apps $(M7)/apps.bin --out $@ --base 0
$(TWIN)/flash-product.bin: $(TWIN)/kernel.elf $(TWIN)/apps.bin tools/flash_image.py
	@$(PY) tools/flash_image.py --kernel $(TWIN)/kernel.elf --apps $(TWIN)/apps.bin --out $@
$(TWIN)/flash.bin: $(TWIN)/flash-product.bin
	@cp $< $@
	@echo "flash: $@ written from the product image"
$(TWIN)/flash-test.bin: $(TWIN)/kernel.elf $(TWIN)/apps-test.bin tools/flash_image.py
	@$(PY) tools/flash_image.py --kernel $(TWIN)/kernel.elf --apps $(TWIN)/apps-test.bin --out $@

# Settings files placed under /config on the eMMC image. The twin's FTP
# settings are the product's (no password, no pasv_address) plus the
# address its clients reach it at through QEMU's user network (NAT to
# 127.0.0.1); the product file itself never sets one.
TWIN_FTP_CFG := $(TWIN)/config/ftp.cfg
IMAGE_CONFIG := $(TWIN_FTP_CFG) apps/telemetry/telemetry.cfg apps/websocket/websocket.cfg
$(TWIN_FTP_CFG): apps/ftp/ftp.cfg Makefile
	@mkdir -p $(@D)
	@{ cat $<; printf '\n# The QEMU twin: clients reach it through the user network at 127.0.0.1.\npasv_address = 127.0.0.1\n'; } > $@

# The dashboard: web/ plus uPlot (fetched at a pinned version, its
# integrity checked: tools/web-vendor.txt), with .gz siblings, in build/web.
WEB_OUT := $(BUILD)/web
.PHONY: web
web: $(BUILD)/web-size.txt
# web-size.txt is written last, after build/web is swapped in: it is the stamp.
$(BUILD)/web-size.txt: tools/build-web.sh tools/web-vendor.txt $(shell find web -type f) | tools
	@tools/build-web.sh web $(WEB_OUT)

image: $(TWIN)/disk.img
$(TWIN)/disk.img: tools/mkimage.sh $(BUILD)/web-size.txt $(IMAGE_CONFIG) | tools
	@mkdir -p $(TWIN)
	@tools/mkimage.sh $(WEB_OUT) $@ $(DISK_MIB) $(IMAGE_CONFIG)

# ---- run -------------------------------------------------------------------
.PHONY: run run-m7
run: flash-images image
	@cp --sparse=always $(TWIN)/disk.img $(TWIN)/run-disk.img
	@$(PY) tools/qemu_twin.py run --flash $(TWIN)/flash.bin \
	    --disk $(TWIN)/run-disk.img --layout $(TWIN)/layout.json --http-port $(HTTP_PORT) --ws-port $(WS_PORT) --ftp-port $(FTP_PORT)

# The Cortex-M7 twin on this terminal (console only: no network or disk).
run-m7: flash-images
	@$(PY) -c 'import os, sys; sys.path.insert(0, "tools"); import qemu_twin as q; c = q.qemu_m7_command("$(M7)/flash.bin", console="terminal"); print("NUCLEO-MEM Cortex-M7 twin: booting QEMU mps2-an500 (Ctrl-A X to quit)", flush=True); os.execvp(c[0], c)'

# ---- tockloader on the twin's flash ----------------------------------------
# The twin's board definition for tockloader: its flash file starts at
# 0x80000000 (tockloader's qemu_rv32_virt board) and apps at 0x80040000.
TOCKLOADER := $(VENV)/bin/tockloader
TWIN_TOCKLOADER_ARGS = --flash-file $(TWIN)/flash.bin --board qemu_rv32_virt --app-address 0x80040000

# Replaces the telemetry app in flash.bin with its second build (one more
# field, version 2); the kernel region is hash-checked before and after.
# Boot it with `make run`; `make reflash` puts the built apps back.
.PHONY: swap-telemetry reflash tockloader-list
swap-telemetry: flash-images
	@$(PY) tools/swap_app.py --flash $(TWIN)/flash.bin --tab $(TWIN)/apps/variants/telemetry-v2.tab --tockloader $(TOCKLOADER)

reflash: flash-images
	@cp $(TWIN)/flash-product.bin $(TWIN)/flash.bin
	@echo "flash: $(TWIN)/flash.bin written from the product image"

tockloader-list: flash-images
	@$(TOCKLOADER) list $(TWIN_TOCKLOADER_ARGS)

# ---- tests -----------------------------------------------------------------
# Host unit tests of every host-testable crate, then system tests against
# the booted twin. The whole run is bounded; each test has its own bound.
TEST_TIMEOUT ?= 2400
.PHONY: test host-test system-test lint
test: host-test lint system-test fuzz-short

host-test: deps tools
	@echo "== host tests: kernel crates"
	@cargo test --quiet
	@cargo test --quiet -p cortexm --lib   # the MPU patch's RASR encoding
	@echo "== host tests: app libraries"
	@cd apps && cargo test --quiet

# rustfmt over every crate's files, clippy with warnings as errors on the
# host crates, the three boards (each for its own target) and every app.
RS_FILES = $(shell git ls-files '*.rs' | grep -v '^third_party/')
APP_PACKAGES := sysinfo storage http ftp telemetry websocket netprobe psramtest psramspy ipcprobe impostor \
                say heap panic-restart
# Only for the build scripts: clippy does not link.
APP_LINK_ENV := LIBTOCK_LINKER_FLASH=0x80040000 LIBTOCK_LINKER_FLASH_LENGTH=0x20000 \
                LIBTOCK_LINKER_RAM=0x81800000 LIBTOCK_LINKER_RAM_LENGTH=0x80000 LIBTOCK_TBF_HEADER_SIZE=0x80
lint: deps tools
	@echo "== lint: rustfmt, clippy"
	@rustfmt --edition 2021 --check $(RS_FILES)
	@cargo clippy --quiet --all-targets -- -D warnings
	@for b in qemu_twin qemu_m7 nucleo_h723zg; do (cd boards/$$b && cargo clippy --quiet --release -- -D warnings); done
	@cd apps && cargo clippy --quiet --all-targets -- -D warnings
	@cd apps && for p in $(APP_PACKAGES); do \
	    $(APP_LINK_ENV) cargo clippy --quiet --target riscv32imac-unknown-none-elf -p $$p --target-dir target/clippy -- -D warnings; done

system-test: flash-images image
	@echo "== system tests against the QEMU twin"
	@timeout --kill-after=10 $(TEST_TIMEOUT) $(PY) -m pytest tests/system -p no:cacheprovider

# ---- benchmarks ------------------------------------------------------------
.PHONY: bench
bench: flash-images image
	@$(PY) tools/bench.py

# Where the instructions go on one bench path (PROFILE_PATH=http-emmc,
# http-memory, ftp-retr, ftp-stor): build/profile/<path>.md.
.PHONY: profile
profile: flash-images image
	@$(PY) tools/profile.py

# ---- fuzzing and power cuts ---------------------------------------------------
# `make test` runs every fuzz target for FUZZ_SHORT_SECONDS from its seeds
# (fuzz-short); `make fuzz` and `make soak` are the long runs.
FUZZ_SECONDS ?= 300
SOAK_CUTS    ?= 200
.PHONY: fuzz fuzz-short soak
fuzz: tools
	@tools/fuzz.sh $(FUZZ_SECONDS)

# Seeds only, so it lasts the same however much `make fuzz` found before.
FUZZ_SHORT_SECONDS ?= 15
fuzz-short: tools
	@echo "== fuzzing: every target for $(FUZZ_SHORT_SECONDS) s from its seeds"
	@FUZZ_FRESH=1 tools/fuzz.sh $(FUZZ_SHORT_SECONDS)

soak: flash-images image
	@$(PY) tools/soak.py --cuts $(SOAK_CUTS)

# ---- memory report ---------------------------------------------------------
.PHONY: memory-report
memory-report: flash-images image
	@$(PY) tools/memory_report.py

.PHONY: clean
clean:
	rm -rf $(BUILD) target apps/target
