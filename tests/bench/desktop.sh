#!/usr/bin/env bash
# Desktop figures: start-to-window time, first render of 1,000 accounts, idle memory of all the
# app's processes with the window open and closed. Release build (built here if missing),
# under Xvfb and a private session bus.
#   bash tests/bench/desktop.sh [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
app=target/release/tokentray-desktop
[ -x "$app" ] || ui/node_modules/.bin/tauri build --no-bundle
xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" \
  dbus-run-session -- node tests/bench/desktop.mjs "$app" "${1:-5}" 2>&1 | grep -v -e 'Failed to set fd limit' -e '^dbus-daemon\['
