#!/usr/bin/env bash
# Installs Debian's Chromium for the browser end-to-end tests (tests/e2e). Playwright drives it through its
# executable path: a test tool's own browser download cannot work on these machines. Idempotent; needs root
# (or sudo) and Debian's package mirror, which is the only way a browser arrives here.
set -euo pipefail

CHROMIUM="${ARCHER_CHROMIUM:-/usr/bin/chromium}"
if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi

SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-chromium: $CHROMIUM is missing and this user cannot install packages (not root, no sudo)" >&2
    exit 2
  fi
fi

echo "install-chromium: installing Debian's chromium package" >&2
export DEBIAN_FRONTEND=noninteractive
# Fonts keep the screenshots readable; chromium pulls in the rest.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
test -x "$CHROMIUM" || { echo "install-chromium: $CHROMIUM still missing after install" >&2; exit 2; }
