#!/usr/bin/env bash
# install-toolchains.sh KERNEL_NIGHTLY APPS_STABLE ELF2TAB_VERSION
#
# Installs, only when missing: the kernel's pinned nightly with rust-src,
# llvm-tools, rustfmt and clippy and the board targets, the apps' pinned stable toolchain
# with the same targets, and elf2tab.
set -euo pipefail
nightly=$1 stable=$2 elf2tab_version=$3
targets=(riscv32imac-unknown-none-elf thumbv7em-none-eabi thumbv7em-none-eabihf)

command -v rustup >/dev/null || { echo "tools: rustup is required (https://rustup.rs)" >&2; exit 1; }

ensure() {  # ensure TOOLCHAIN COMPONENT...
  local tc=$1; shift
  if ! rustup run "$tc" rustc --version >/dev/null 2>&1; then
    echo "tools: installing Rust $tc"
    rustup toolchain install "$tc" --profile minimal >/dev/null
  fi
  local have; have=$(rustup component list --toolchain "$tc" --installed 2>/dev/null)
  for c in "$@"; do
    grep -q "^$c" <<<"$have" || rustup component add --toolchain "$tc" "$c" >/dev/null
  done
  have=$(rustup target list --toolchain "$tc" --installed 2>/dev/null)
  for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$have" || rustup target add --toolchain "$tc" "$t" >/dev/null
  done
}
ensure "$nightly" rust-src llvm-tools rustfmt clippy
ensure "$stable" llvm-tools rustfmt clippy

if [[ $(elf2tab --version 2>/dev/null) != "elf2tab $elf2tab_version" ]]; then
  echo "tools: installing elf2tab $elf2tab_version"
  cargo +"$stable" install --quiet --locked elf2tab --version "$elf2tab_version"
fi
