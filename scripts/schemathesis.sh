#!/usr/bin/env bash
# Schemathesis (the schema-based API fuzzer from PyPI) in a virtualenv cached outside the clone, so a fresh clone
# (CI) reuses it. Idempotent: prints the path of the `st` binary; installs the pinned version when missing. A
# stamp file marks a finished install, so an interrupted one is redone rather than half used.
set -euo pipefail
VERSION=4.32.5
cache=${ALTIS_CACHE_DIR:-$HOME/.cache/altis}
venv="$cache/schemathesis-$VERSION"
if [[ ! -f $venv/.installed ]]; then
  echo "[schemathesis] installing schemathesis $VERSION into $venv (one time, ~1 min)" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
  "$venv/bin/st" --version >&2
  touch "$venv/.installed"
fi
echo "$venv/bin/st"
