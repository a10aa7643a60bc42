#!/usr/bin/env bash
# build-web.sh SRC_DIR OUT_DIR
#
# Assembles the site the HTTP app serves from /www: SRC_DIR (web/) copied to
# OUT_DIR, the third-party files pinned in tools/web-vendor.txt added under
# OUT_DIR/vendor/, and a deterministic `.gz` sibling (gzip -9 -n) next to
# every html/js/css/svg/json file. Writes OUT_DIR/../web-size.txt: the bytes
# a first load of / transfers (index.html and every file it references),
# with and without gzip, and fails when the gzip total exceeds
# WEB_BUDGET_BYTES (default 48 KiB).
#
# Vendored packages come from `npm pack NAME@VERSION`, so npm's own registry
# configuration applies; the tarball is checked against the pinned SRI
# integrity string and cached, verified, under build/web-vendor/. It is only
# fetched again when that cached tarball is missing (or no longer matches).
# Idempotent: OUT_DIR is rebuilt in a staging directory and swapped in.
set -euo pipefail
if (( $# != 2 )); then
  echo "usage: $0 SRC_DIR OUT_DIR" >&2
  exit 2
fi
src=${1%/} out=${2%/}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pins=$here/web-vendor.txt
cache=$(dirname "$here")/build/web-vendor
budget=${WEB_BUDGET_BYTES:-49152}

die() { echo "web: $*" >&2; exit 1; }

[[ -f $src/index.html ]] || die "$src/index.html is missing"
[[ -f $pins ]] || die "$pins is missing"

tmps=()
cleanup() { ((${#tmps[@]})) && rm -rf "${tmps[@]}"; return 0; }
trap cleanup EXIT

# The SHA-512 an SRI string names, as hex (what sha512sum prints).
sri_hex() {
  [[ $1 == sha512-* ]] || die "integrity '$1' is not a sha512- SRI string"
  base64 -d <<<"${1#sha512-}" | od -An -v -tx1 | tr -d ' \n'
}

# fetch NAME VERSION SRI: sets tgz to the path of the cached, verified
# tarball (a global, not output, so that the EXIT trap sees its temporaries).
fetch() {
  local name=$1 version=$2 sri=$3 want got tmp
  want=$(sri_hex "$sri")
  [[ ${#want} == 128 ]] || die "integrity of $name@$version is not a SHA-512 digest"
  tgz=$cache/$name-$version.tgz
  if [[ -f $tgz ]]; then
    got=$(sha512sum "$tgz" | cut -d' ' -f1)
    [[ $got == "$want" ]] && return
    echo "web: cached $tgz does not match its pinned integrity; fetching it again" >&2
    rm -f "$tgz"
  fi
  echo "web: fetching $name@$version with npm pack" >&2
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/pack.XXXXXX")
  tmps+=("$tmp")
  (cd "$tmp" && npm pack --silent "$name@$version" </dev/null >/dev/null) \
    || die "npm pack $name@$version failed"
  local packed=("$tmp"/*.tgz)
  [[ ${#packed[@]} == 1 && -f ${packed[0]} ]] || die "npm pack $name@$version left no single tarball"
  got=$(sha512sum "${packed[0]}" | cut -d' ' -f1)
  if [[ $got != "$want" ]]; then
    echo "web: INTEGRITY MISMATCH for $name@$version" >&2
    echo "web:   pinned   $sri" >&2
    echo "web:   received sha512-$(printf "$(sed 's/../\\x&/g' <<<"$got")" | base64 -w0)" >&2
    exit 1
  fi
  mv "${packed[0]}" "$tgz"
}

stage=$out.tmp
rm -rf "$stage"
mkdir -p "$stage"
tmps+=("$stage")
cp -R "$src"/. "$stage"/
find "$stage" -name '*.gz' -type f -delete

# Vendored files.
while read -r name version sri maps; do
  [[ -z $name || $name == \#* ]] && continue
  [[ -n $maps ]] || die "$pins: $name has no files to install"
  fetch "$name" "$version" "$sri"
  x=$(mktemp -d "$cache/extract.XXXXXX")
  tmps+=("$x")
  read -ra pairs <<<"$maps"
  froms=()
  for p in "${pairs[@]}"; do froms+=("${p%%=*}"); done
  tar -xzf "$tgz" -C "$x" "${froms[@]}" || die "$tgz lacks one of: ${froms[*]}"
  for p in "${pairs[@]}"; do
    from=${p%%=*} to=${p#*=}
    [[ $to != "$p" && $to != /* && $to != *..* ]] || die "$pins: bad mapping '$p'"
    mkdir -p "$(dirname "$stage/$to")"
    cp "$x/$from" "$stage/$to"
  done
done <"$pins"

# Precompressed siblings; -n leaves name and time out, so equal input gives
# equal bytes.
while IFS= read -r -d '' f; do
  gzip -9 -n -c "$f" >"$f.gz"
done < <(find "$stage" -type f \( -name '*.html' -o -name '*.js' -o -name '*.css' \
  -o -name '*.svg' -o -name '*.json' \) -print0)

# What a first load of / fetches: index.html and the local files its
# <script src> and <link href> name (data: URLs cost no request).
mapfile -t refs < <(grep -oE '<(script|link)[^>]*>' "$stage/index.html" \
  | grep -oE '(src|href)="[^"]*"' | sed -E 's/^(src|href)="//; s/"$//' \
  | grep -vE '^(data:|[a-z]+://|//|#)' | sed -E 's/[?#].*//; s#^\./##; s#^/##' | sort -u)
files=(index.html "${refs[@]}")
plain=0 gz=0
report=$(dirname "$out")/web-size.txt
{
  echo "# First load of / (index.html and the files it references), body bytes"
  echo "# without and with gzip; HTTP headers and the api/status poll excluded."
  echo "# file plain gzip"
  for f in "${files[@]}"; do
    [[ -f $stage/$f ]] || die "index.html references $f, which the site does not have"
    p=$(stat -c %s "$stage/$f")
    g=$p
    [[ -f $stage/$f.gz ]] && g=$(stat -c %s "$stage/$f.gz")
    plain=$((plain + p)) gz=$((gz + g))
    echo "$f $p $g"
  done
  echo "requests=${#files[@]}"
  echo "plain_bytes=$plain"
  echo "gzip_bytes=$gz"
} >"$report.tmp"
tmps+=("$report.tmp")
if ((gz > budget)); then
  die "first load is $gz bytes gzip, over the budget of $budget (WEB_BUDGET_BYTES)"
fi

rm -rf "$out"
mv "$stage" "$out"
mv "$report.tmp" "$report"
echo "web: $out ($(find "$out" -type f | wc -l) files); first load of /: $gz bytes gzip, $plain plain, ${#files[@]} requests ($report)"
