#!/bin/sh
# The browser tests drive Debian's Chromium through playwright-core; no test tool downloads a
# browser. Installs it when missing and we are root; otherwise says exactly what to run.
set -eu
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
# Emoji (reactions) in the screenshots the web app's tests save for the README; the tests
# themselves read text, so without the font they pass all the same.
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && ! fc-list 2>/dev/null | grep -qi 'color emoji'; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji >/dev/null 2>&1 || true
fi
if [ -x "$browser" ]; then
  exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
  exit 1
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing: installing Debian's chromium package for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exec "$browser" --version
fi
echo "The browser tests need Chromium at /usr/bin/chromium. Install it with:" >&2
echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
echo "or point CHROMIUM_PATH at a Chromium binary." >&2
exit 1
