#!/usr/bin/env bash
# Screenshot of the real tray menu for the README (not part of CI): a plain XEmbed tray
# (trayer) under Xvfb, where libayatana-appindicator falls back to a status icon; the app runs
# with --hidden on the data directory given, and a right-click opens its menu.
#   TOKENTRAY_HOME=DIR [TOKENTRAY_PASSPHRASE=…] bash tests/e2e/tray-menu.sh OUT.png
set -euo pipefail
out=$(realpath -m "${1:?usage: tray-menu.sh OUT.png}")
cd "$(dirname "$0")/../.."
command -v trayer >/dev/null && command -v xdotool >/dev/null || apt-get install -y -q trayer xdotool >/dev/null
xvfb-run --auto-servernum --server-args="-screen 0 1000x700x24" dbus-run-session -- bash -c '
  trayer --edge top --align right --widthtype request --height 28 --SetDockType true --transparent false --tint 0x333333 & t=$!
  sleep 1
  target/debug/tokentray-desktop --hidden >/dev/null 2>&1 & a=$!
  sleep 6
  eval "$(xdotool getwindowgeometry --shell "$(xdotool search --onlyvisible --class trayer | head -1)")"
  xdotool mousemove $((X + 12)) $((Y + 12)) click 3
  sleep 1.5
  import -window root -crop 345x245+655+0 +repage "$0"
  kill $a $t
' "$out" 2>&1 | grep -v -e "Failed to set fd limit" -e "^dbus-daemon" -e SpiRegistry || true
echo "wrote $out"
