#!/usr/bin/env bash
# apply-patches.sh TREE PATCH...
#
# Applies the kernel patches, in the order given, to the upstream checkout
# TREE. A stamp holds the hash of the patch set; when it matches, nothing is
# done. When the set changed, the tree is reset to its commit first, so the
# result never depends on what was applied before.
set -euo pipefail
tree=$1; shift
stamp=$tree/.kernel-patches-applied
sum=$( (echo "$@"; cat /dev/null "$@") | sha256sum | cut -d' ' -f1)
[[ -f $stamp && $(cat "$stamp") == "$sum" ]] && exit 0

git -C "$tree" checkout --quiet --force HEAD -- .
git -C "$tree" clean --quiet -fd -e .kernel-patches-applied
for p in "$@"; do
  echo "deps: applying $(basename "$p")"
  if ! git -C "$tree" apply --whitespace=nowarn "$(realpath "$p")"; then
    echo "deps: $(basename "$p") does not apply to $(git -C "$tree" rev-parse --short HEAD)" >&2
    exit 1
  fi
done
echo "$sum" > "$stamp"
