#!/usr/bin/env bash
# Installs the host packages the build and the tests need, only when missing.
# QEMU >= 8.2 (RISC-V twin) and qemu-system-arm (Cortex-M7 twin) come from
# Debian bookworm-backports; the suite is added by
# reusing the Debian mirror URI already configured on this machine, so no
# package host name is written into the repository.
set -euo pipefail

need_qemu() {
  command -v qemu-system-riscv32 >/dev/null 2>&1 || return 0
  local v
  v=$(qemu-system-riscv32 --version | sed -n 's/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  set -- $v
  (( $1 > 8 || ($1 == 8 && $2 >= 2) )) && return 1 || return 0
}

pkgs=()
bpo=()
need_qemu && bpo+=(qemu-system-misc)
# The Cortex-M7 twin: mps2-an500 (QEMU 10 from the same suite).
qemu-system-arm -machine help 2>/dev/null | grep -q mps2-an500 || bpo+=(qemu-system-arm)
command -v mcopy >/dev/null 2>&1 || pkgs+=(mtools)
command -v mkfs.fat >/dev/null 2>&1 || pkgs+=(dosfstools)
command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
command -v chromedriver >/dev/null 2>&1 || pkgs+=(chromium-driver)
command -v ip >/dev/null 2>&1 || pkgs+=(iproute2)
command -v xxd >/dev/null 2>&1 || pkgs+=(xxd)
command -v ping >/dev/null 2>&1 || pkgs+=(iputils-ping)
command -v arping >/dev/null 2>&1 || pkgs+=(iputils-arping)
command -v curl >/dev/null 2>&1 || pkgs+=(curl)
command -v wget >/dev/null 2>&1 || pkgs+=(wget)
# promtool (checks the /metrics exposition) ships in Debian's prometheus package.
command -v promtool >/dev/null 2>&1 || pkgs+=(prometheus)
command -v lftp >/dev/null 2>&1 || pkgs+=(lftp)
command -v wrk >/dev/null 2>&1 || pkgs+=(wrk)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

((${#pkgs[@]} + ${#bpo[@]})) || exit 0

SUDO=
[[ $(id -u) -eq 0 ]] || SUDO=sudo

if ((${#bpo[@]})); then
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/debian.sources | awk '{print $2}' | grep -v security | head -n1)
    [[ -n $uri ]] || uri=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -n1)
    [[ -n $uri ]] || { echo "install-host-deps: no Debian mirror URI found in apt sources" >&2; exit 1; }
    echo "deb $uri bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
  fi
fi
echo "install-host-deps: installing ${bpo[*]} ${pkgs[*]}"
$SUDO apt-get update -qq
export DEBIAN_FRONTEND=noninteractive
# Backports packages pull their dependencies from the same suite.
((${#bpo[@]} == 0)) || $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${bpo[@]}" >/dev/null
((${#pkgs[@]} == 0)) || $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
