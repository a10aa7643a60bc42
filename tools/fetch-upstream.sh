#!/usr/bin/env bash
# fetch-upstream.sh NAME URL COMMIT PATH...
#
# Clones URL into third_party/NAME as a partial clone (--filter=blob:none)
# with a sparse checkout of PATH..., checks out COMMIT and verifies it.
# Idempotent: when the checkout is already at COMMIT with the same sparse
# set, it returns at once.
set -euo pipefail
name=$1 url=$2 commit=$3; shift 3
dir=third_party/$name
want_paths="$*"

if [[ -d $dir/.git ]]; then
  have=$(git -C "$dir" rev-parse HEAD 2>/dev/null || true)
  have_paths=$(git -C "$dir" config --get tockmem.sparse || true)
  if [[ $have == "$commit" && $have_paths == "$want_paths" ]]; then
    exit 0
  fi
fi

echo "deps: fetching $name at ${commit:0:12}"
if [[ ! -d $dir/.git ]]; then
  rm -rf "$dir"
  mkdir -p third_party
  git clone --quiet --filter=blob:none --no-checkout "$url" "$dir"
fi
git -C "$dir" sparse-checkout init --cone
# shellcheck disable=SC2086
git -C "$dir" sparse-checkout set $want_paths
if ! git -C "$dir" cat-file -e "$commit^{commit}" 2>/dev/null; then
  git -C "$dir" fetch --quiet --filter=blob:none origin "$commit"
fi
git -C "$dir" -c advice.detachedHead=false checkout --quiet --force "$commit"
have=$(git -C "$dir" rev-parse HEAD)
if [[ $have != "$commit" ]]; then
  echo "deps: $name is at $have, expected $commit" >&2
  exit 1
fi
git -C "$dir" config tockmem.sparse "$want_paths"
# A fresh checkout has no patches applied yet.
rm -f "$dir/.kernel-patches-applied"
