#!/usr/bin/env bash
# Adds Debian's bookworm-backports suite by reusing the URI of the machine's own Debian source,
# so no mirror host is named here. Idempotent.
set -euo pipefail
target=/etc/apt/sources.list.d/ecgfm-backports.sources
[ -f "$target" ] && exit 0
uri=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  # First URIs line of a stanza whose suites include bookworm (not -security).
  uri=$(awk '/^URIs:/{u=$2} /^Suites:/{ if ($0 ~ /bookworm( |$)/ && u !~ /security/) {print u; exit} }' "$f")
  [ -n "$uri" ] && break
done
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
  uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
fi
if [ -z "$uri" ]; then
  echo "backports: no Debian bookworm source found to derive from" >&2
  exit 1
fi
cat > "$target" <<EOT
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
echo "backports: added bookworm-backports from $uri"
