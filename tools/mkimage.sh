#!/usr/bin/env bash
# mkimage.sh WEB_DIR OUT_IMAGE SIZE_MIB [CONFIG_FILE...]
#
# Builds the eMMC image: a FAT32 volume (label NUCLEOMEM) holding WEB_DIR
# under /www and the CONFIG_FILEs under /config, made with mkfs.fat and
# mtools and checked with fsck.fat.
set -euo pipefail
web=$1 out=$2 mib=${3:-64}
shift 3 || shift $#
configs=("$@")
tmp=$out.tmp
rm -f "$tmp"
truncate -s "${mib}M" "$tmp"
mkfs.fat -F 32 -n NUCLEOMEM -i 4e55434c "$tmp" >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$tmp" ::/www
if [[ -n $(ls -A "$web") ]]; then
  mcopy -i "$tmp" -s -Q "$web"/* ::/www/
fi
if ((${#configs[@]})); then
  mmd -i "$tmp" ::/config
  mcopy -i "$tmp" -Q "${configs[@]}" ::/config/
fi
fsck.fat -n "$tmp" >/dev/null || { echo "mkimage: fsck.fat found errors in $tmp" >&2; exit 1; }
mv "$tmp" "$out"
echo "image: $out (${mib} MiB FAT32, $(find "$web" -type f | wc -l) files under /www)"
