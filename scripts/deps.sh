#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/packages.txt that are not installed yet.
# When everything is installed it does not touch apt at all. Runs as root, or through sudo.
#
# Environment:
#   HOLDFAST_SKIP_DEPS=1   do nothing (for machines whose dependencies come from elsewhere)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ "${HOLDFAST_SKIP_DEPS:-}" == 1 ]]; then
  exit 0
fi

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$REPO/scripts/packages.txt")

if ! have dpkg-query || ! have apt-get; then
  die "this is not a Debian-like system; install the equivalents of: ${packages[*]} (or set HOLDFAST_SKIP_DEPS=1)"
fi

# One dpkg-query for the whole list; it names the installed ones.
declare -A installed=()
while read -r name status; do
  if [[ "$status" == ii* ]]; then installed["${name%%:*}"]=1; fi
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null || true)

missing=()
for p in "${packages[@]}"; do
  [[ -n "${installed[$p]:-}" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

say "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
say "done"
