#!/usr/bin/env bash
# Tokentray for Windows, built on this Debian machine and run under Wine: the engine and the
# CLI and the desktop app cross-built for x86_64-pc-windows-gnu, then the daemon, the CLI, the
# helpers, the desktop's tray process and the installer run under Wine against the test IdP
# and the tests' rotating token server on Linux's 127.0.0.1. What cannot run here (WebView2
# and so the accounts window, a click on the tray icon, the pipe's first-instance guard,
# another Windows user) is listed in docs/packaging.md with why.
#
# The toolchain: rustup's server is not reachable here, and Debian's std for Windows is too old,
# so Debian 12's rustc-web (its Linux rustc, its std's source) is unpacked into
# target/windows/toolchain (nothing system-wide changes) and builds std for Windows itself
# (-Zbuild-std), linking with Debian's mingw-w64. Wine 8.0 lacks the one DLL function Rust's
# std takes random bytes from (ProcessPrng, Wine 8.13): a stand-in, built here into the test
# prefix only (tests/windows/bcryptprimitives.c), never shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$HOME/.cargo/bin:$PATH"
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
started=$SECONDS
step() { printf '\n==> windows: %s (%ds)\n' "$1" $((SECONDS - started)); }
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$root/target/windows
mkdir -p "$work"

step "packages: Wine, mingw-w64, NSIS"
packages=(wine wine64 gcc-mingw-w64-x86-64-win32 nsis curl xvfb x11-utils imagemagick openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -d tests/node_modules/oidc-provider ] || npm install --prefix tests --no-audit --no-fund --loglevel=error >/dev/null

step "toolchain: Debian's rustc-web, unpacked into target/windows/toolchain"
# shellcheck source=tests/windows/toolchain.sh
source tests/windows/toolchain.sh

step "build: the engine, the CLI and the desktop app for x86_64-pc-windows-gnu (debug, std built from source)"
target=x86_64-pc-windows-gnu
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
# No debug info: a tenth of the size (the installer compresses it), and a faster link.
export CARGO_PROFILE_DEV_DEBUG=0
# The desktop app embeds the built UI (as `tauri build` does).
[ -f ui/dist/index.html ] || npm --prefix ui run --silent build >/dev/null
build_started=$SECONDS
RUSTFLAGS="-D warnings" CARGO_TARGET_DIR=$work/build "$tc/usr/bin/cargo" build --locked -p tokentray-cli \
  -p tokentray-desktop --features tokentray-desktop/custom-protocol \
  --target $target -Zbuild-std=std,panic_abort --quiet
echo "built in $((SECONDS - build_started)) s"
bin=$work/build/$target/debug
# The -gnu build links WebView2's loader as a DLL (webview2-com-sys puts it beside the .exe).
ls -l "$bin"/tokentray.exe "$bin"/tokentray-full.exe "$bin"/tokentray-desktop.exe "$bin"/WebView2Loader.dll
for exe in tokentray-full.exe tokentray-desktop.exe; do
  if x86_64-w64-mingw32-objdump -p "$bin/$exe" | grep -i 'DLL Name' | grep -viE \
    'kernel32|ntdll|advapi32|ws2_32|userenv|bcrypt|crypt32|secur32|ole32|oleaut32|shell32|user32|api-ms-win|bcryptprimitives|msvcrt|iphlpapi|ncrypt|gdi32|propsys|credui|dbghelp|psapi|netapi32|shlwapi|rpcrt4|dwmapi|uxtheme|comctl32|winmm|powrprof|wtsapi32|setupapi|combase|imm32|ktmw32|WebView2Loader'; then
    fail "$exe imports a DLL Windows does not have (above)"
  fi
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  pkill -f 'tokentray-full.exe' 2>/dev/null || true
  wineserver -k 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

step "a Wine prefix of the test's own, with the ProcessPrng stand-in, on an X display of its own"
# Wine draws the desktop app's tray icon there (Wine's "Wine System Tray" window); the prefix
# is made on it too, so the explorer.exe that holds the tray has the display.
Xvfb -displayfd 3 -screen 0 1024x768x24 3>"$tmp/display" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/display" ] && break; sleep 0.1; done
export DISPLAY=":$(head -1 "$tmp/display")"
[ "$DISPLAY" != ":" ] || fail "Xvfb did not start"
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
rm -rf "$WINEPREFIX"
wineboot -i >/dev/null 2>&1
wineserver -w
x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  tests/windows/bcryptprimitives.c tests/windows/bcryptprimitives.def -lbcrypt
# Wine's own stand-ins must not shadow it.
export WINEDLLOVERRIDES="$WINEDLLOVERRIDES;bcryptprimitives=n"
winpath() { printf 'Z:%s' "${1//\//\\}"; }
user_dir=$(find "$WINEPREFIX/drive_c/users" -maxdepth 1 -mindepth 1 -type d ! -name Public | head -1)
data=$user_dir/AppData/Roaming/tokentray/tokentray/data
tt() { wine "$bin/tokentray.exe" "$@"; }

step "servers: the test IdP (8 s tokens) and the rotating token server (5 s, reuse detection)"
IDP_ACCESS_TOKEN_TTL=8 node tests/idp/server.mjs >"$tmp/idp.json" 2>"$tmp/idp.log" &
pids+=($!)
ROTATING_TTL=5 ROTATING_GRACE=30 node tests/servers/rotating.mjs >"$tmp/rot.json" 2>"$tmp/rot.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/idp.json" ] && [ -s "$tmp/rot.json" ] && break; sleep 0.1; done
issuer=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).issuer' "$tmp/idp.json")
rot=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).url' "$tmp/rot.json")
introspect() { curl -s -u cc-basic:cc-basic-secret -d "token=$1" "$issuer/token/introspection"; }
active() { introspect "$1" | grep -q '"active":true'; }

daemon_log=$tmp/daemon.log
start_daemon() {
  wine "$bin/tokentray.exe" daemon >>"$daemon_log" 2>&1 &
  for _ in $(seq 300); do
    [ -s "$data/engine.pipe" ] && tt list >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$daemon_log" >&2
  fail "the daemon did not answer on its pipe"
}
full_pid() { pgrep -f 'tokentray-full.exe daemon' | head -1; }

step "the daemon under Wine: data in %APPDATA%, the vault key in Credential Manager"
start_daemon
[ -d "$data" ] || fail "no data directory in %APPDATA% ($data)"
# Wine keeps Credential Manager in the registry (HKCU\Software\Wine\Credential Manager);
# asked of the live registry, since user.reg is written to disk later.
creds=$(wine reg query 'HKCU\Software\Wine\Credential Manager' /s 2>/dev/null | tr -d '\r')
echo "$creds" | grep -q 'vault-key:' || fail "no vault key in Credential Manager: $creds"
if find "$data" -iname '*key*' | grep -q .; then fail "a key file in the data directory: $(find "$data" -iname '*key*')"; fi
echo "pipe: $(cat "$data/engine.pipe"); vault key: Credential Manager; data: %APPDATA%\\tokentray\\tokentray\\data"

step "import: a client-credentials account and a rotating refresh token"
cat >"$tmp/accounts.toml" <<TOML
[[account]]
name = "cc"
grant = "client_credentials"
token_url = "$issuer/token"
client_id = "cc-basic"
client_secret = "cc-basic-secret"
scope = "api:read"
git_hosts = ["git.example.com"]
registry_hosts = ["registry.example.com"]

[[account]]
name = "rot"
grant = "refresh_token"
token_url = "$rot/token"
client_id = "team"
refresh_token = "fam-win-0"

[[account]]
name = "lent"
grant = "static"
token = "lent-to-cmd-only"
lend_to = ["cmd"]
TOML
tt import "$(winpath "$tmp/accounts.toml")"
tt list
# A private key file others may read is refused, as ssh refuses one. Wine shows a Unix file's
# mode as its DACL (the others' bits as Everyone), so chmod makes the two cases.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/key.pem" 2>/dev/null
cat >"$tmp/pk.toml" <<TOML
[[account]]
name = "pk"
grant = "client_credentials"
token_url = "$issuer/token"
client_id = "pk-client"
auth_method = "private_key_jwt"
private_key_file = '$(winpath "$tmp/key.pem")'
TOML
chmod 644 "$tmp/key.pem"
if said=$(tt import --allow-local "$(winpath "$tmp/pk.toml")" 2>&1); then
  fail "a private key file Everyone may read was taken: $said"
fi
echo "$said" | grep -q 'can be read by others (Everyone)' || fail "refused, but not for its DACL: $said"
chmod 600 "$tmp/key.pem"
tt import --allow-local "$(winpath "$tmp/pk.toml")" >/dev/null || fail "a private key file that is the user's alone was refused"
tt remove pk >/dev/null
echo "a private key file its DACL lets Everyone read: refused (with the icacls that fixes it); the user's alone: taken"

step "token, exec, env, git (CRLF input), kubectl"
token=$(tt token cc | tr -d '\r')
[ -n "$token" ] && active "$token" || fail "token cc: not a live token at the IdP ($token)"
echo "token cc: live at the IdP"
via_exec=$(tt exec cc --env MYTOKEN -- cmd.exe /c echo %MYTOKEN% | tr -d '\r' | tail -1)
[ "$via_exec" = "$(tt token cc | tr -d '\r')" ] || fail "exec: the command saw '$via_exec'"
echo "exec: the command's environment holds the token"
tt env cc | tr -d '\r' | grep -q "^export TOKENTRAY_CC='" || fail "env: $(tt env cc)"
echo "env: export line"
git_out=$(printf 'protocol=https\r\nhost=git.example.com\r\n\r\n' | tt git-credential get | tr -d '\r')
echo "$git_out" | grep -q "^password=$(tt token cc | tr -d '\r')$" || fail "git-credential get (CRLF): $git_out"
echo "git-credential: answered CRLF input with the token"
kube=$(KUBERNETES_EXEC_INFO='{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}' tt kubectl-credential cc | tr -d '\r')
echo "$kube" | grep -q '"token"' || fail "kubectl-credential: $kube"
echo "kubectl-credential: an ExecCredential"

step "who may take a token: the program up the process tree (lend_to = [\"cmd\"])"
from_cmd=$(wine cmd /c "$(winpath "$bin/tokentray.exe") token lent" | tr -d '\r')
[ "$from_cmd" = "lent-to-cmd-only" ] || fail "cmd.exe, which lend_to names, was refused: $from_cmd"
if refused=$(tt token lent 2>&1); then fail "a program lend_to does not name was lent the token"; fi
echo "$refused" | grep -q 'error\[not_allowed\]' || fail "refused, but not as not_allowed: $refused"
tt audit lent | tr -d '\r' | grep -q 'cmd' || fail "the audit does not name cmd: $(tt audit lent)"
echo "lent to cmd.exe (found up the tree from tokentray.exe); refused to another program: not_allowed"

step "kept fresh in the background (20 s, no one asking)"
refreshed() { tt history "$1" --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).filter((e) => e.outcome === "ok").length)'; }
before=$(refreshed cc)
sleep 20
after=$(refreshed cc)
rotations=$(curl -s "$rot/stats" | node -p 'JSON.parse(require("fs").readFileSync(0)).rotations["fam-win"] ?? 0')
echo "client credentials: $before -> $after refreshes; rotating refresh token: $rotations rotations"
[ "$after" -ge $((before + 2)) ] || fail "client credentials not refreshed in the background"
[ "$rotations" -ge 4 ] || fail "the rotating refresh token was not kept fresh"

step "the daemon killed (TerminateProcess's like: SIGKILL to the Wine process) mid-rotation, 5 times"
for i in 1 2 3 4 5; do
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 "$(full_pid)" 2>/dev/null || true
  pkill -9 -f 'tokentray.exe daemon' 2>/dev/null || true
  sleep 1
  start_daemon
  tt token rot >/dev/null || fail "after kill $i: no token for the rotating account"
done
sleep 6
stats=$(curl -s "$rot/stats")
echo "rotating server: $stats"
echo "$stats" | node -e 'const s = JSON.parse(require("fs").readFileSync(0)); process.exit(Object.keys(s.reuses).length || s.revoked.length ? 1 : 0)' ||
  fail "a refresh token was lost across the kills (reuse or a revoked family)"
tt token rot >/dev/null || fail "the rotating account after the kills"
echo "5 kills: refresh token intact, 0 reuses, 0 families revoked"

step "a clean stop: Ctrl+C"
kill -INT "$(full_pid)"
for _ in $(seq 100); do [ -z "$(full_pid)" ] && break; sleep 0.1; done
[ -z "$(full_pid)" ] || fail "the daemon did not stop on Ctrl+C"
grep -q 'stopping' "$daemon_log" || fail "the daemon did not say it was stopping"
echo "stopped on Ctrl+C"

step "the desktop app: the tray process's engine on the pipe, its tray icon, a second launch"
# What a click on the icon does cannot be driven here: Wine 8's Shell_NotifyIconGetRect is a
# stub, and tray-icon drops every click it cannot place (docs/packaging.md).
[ -z "$(full_pid)" ] || fail "a daemon still runs"
old_pipe=$(cat "$data/engine.pipe" 2>/dev/null || true)
desktop_log=$tmp/desktop.log
wine "$bin/tokentray-desktop.exe" --hidden >"$desktop_log" 2>&1 &
for _ in $(seq 300); do
  [ "$(cat "$data/engine.pipe" 2>/dev/null)" != "$old_pipe" ] && tt list >/dev/null 2>&1 && break
  sleep 0.1
done
tt list >/dev/null 2>&1 || { cat "$desktop_log" >&2; fail "the tray process did not answer on its pipe"; }
token=$(tt token cc | tr -d '\r')
active "$token" || fail "token cc from the tray process: not a live token at the IdP ($token)"
[ -z "$(full_pid)" ] || fail "a daemon answered, not the tray process"
echo "the tray process answers on a pipe of its own ($(cat "$data/engine.pipe")): token cc is live"
mkdir -p "$root/artifacts/windows"
# The badge of the icon in Wine's tray window: green (every account fine) or red (one failing);
# prints "green red" pixel counts.
badge() {
  local id
  id=$(xwininfo -root -tree | awk '/"Wine System Tray"/ { print $1; exit }')
  [ -n "$id" ] && import -window "$id" "$1" 2>/dev/null || { echo "0 0"; return; }
  convert "$1" txt:- | awk -F'[(),]' 'NR > 1 {
      if ($4 > 120 && $3 < 110 && $5 < 110) green++
      if ($3 > 180 && $4 < 110 && $5 < 110) red++
    } END { print green + 0, red + 0 }'
}
until_badge() { # green|red, the screenshot's name
  local counts
  for _ in $(seq 60); do
    read -r -a counts <<<"$(badge "$root/artifacts/windows/$2")"
    case $1 in
      green) [ "${counts[0]}" -gt 0 ] && [ "${counts[1]}" -eq 0 ] && return 0 ;;
      red) [ "${counts[1]}" -gt 0 ] && return 0 ;;
    esac
    sleep 0.5
  done
  fail "the tray icon's badge is not $1 (green, red pixels: ${counts[*]}; artifacts/windows/$2)"
}
until_badge green tray-ok.png
cat >"$tmp/broken.toml" <<TOML
[[account]]
name = "broken"
grant = "client_credentials"
token_url = "http://127.0.0.1:9/token"
client_id = "nobody"
client_secret = "nothing"
TOML
tt import "$(winpath "$tmp/broken.toml")" >/dev/null
until_badge red tray-failing.png
tt remove broken >/dev/null
until_badge green tray-ok-again.png
echo "the tray icon: green, red while an account fails, green once it is gone (artifacts/windows/)"
# A second launch hands over to the first and ends; the first opens the accounts window, which
# finds no WebView2 here and says so (the person is told what to install).
wine "$bin/tokentray-desktop.exe" >/dev/null 2>&1 || fail "a second launch failed"
for _ in $(seq 100); do grep -q 'WebView2 is missing' "$desktop_log" && break; sleep 0.1; done
grep -q 'WebView2 is missing' "$desktop_log" || fail "a second launch did not reach the first"
[ "$(pgrep -fc 'tokentray-desktop.exe')" -eq 1 ] || fail "two tray processes: $(pgrep -fa tokentray-desktop.exe)"
tt token cc >/dev/null || fail "the tray process after the second launch"
echo "a second launch ended and the first opened the window (no WebView2 here: said so)"
pkill -9 -f 'tokentray-desktop.exe' || true
for _ in $(seq 100); do pgrep -f 'tokentray-desktop.exe' >/dev/null || break; sleep 0.1; done

step "the installer (NSIS, 64-bit): silent install, the installed app and CLI answer, silent uninstall"
# zlib, not the shipped LZMA: 47 s instead of 130 s for the 380 MB of debug programs.
makensis -V2 -DCOMPRESSOR=zlib -DBIN="$bin" -DVERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)" \
  -DOUT="$work/tokentray-setup.exe" src-tauri/windows/installer.nsi
ls -l "$work/tokentray-setup.exe"
wine "$work/tokentray-setup.exe" /S
installed=$user_dir/AppData/Local/Programs/Tokentray
for f in tokentray.exe tokentray-full.exe tokentray-desktop.exe WebView2Loader.dll docker-credential-tokentray.exe uninstall.exe; do
  [ -f "$installed/$f" ] || fail "the installer left out $f (in $installed: $(ls "$installed" 2>/dev/null))"
done
wine reg query 'HKCU\Environment' /v Path 2>/dev/null | tr -d '\r' | grep -qi 'Programs\\Tokentray' ||
  fail "the installer did not put Tokentray on the user's PATH"
[ -f "$user_dir/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Tokentray/Tokentray.lnk" ] ||
  fail "no Start-menu entry"
# The installed tray app (beside its WebView2Loader.dll) serves the installed CLI; it is left
# running for the uninstaller, which must stop it to remove its files.
old_pipe=$(cat "$data/engine.pipe" 2>/dev/null || true)
wine "$installed/tokentray-desktop.exe" --hidden >>"$desktop_log" 2>&1 &
for _ in $(seq 300); do
  [ "$(cat "$data/engine.pipe" 2>/dev/null)" != "$old_pipe" ] && tt list >/dev/null 2>&1 && break
  sleep 0.1
done
tt list >/dev/null 2>&1 || { tail -20 "$desktop_log" >&2; fail "the installed tray app did not answer"; }
from_installed=$(wine "$installed/tokentray.exe" token cc | tr -d '\r')
active "$from_installed" || fail "the installed tokentray.exe token: $from_installed"
docker=$(printf 'registry.example.com' | wine "$installed/docker-credential-tokentray.exe" get | tr -d '\r')
echo "$docker" | grep -q '"Secret":"' || fail "the installed Docker helper (a copy of tokentray.exe): $docker"
echo "installed: $(ls "$installed" | tr '\n' ' '); the tray app runs, tokentray.exe token and the Docker helper answer"
# The uninstaller copies itself elsewhere and runs from there: its end is waited for by the
# last thing it removes, its entry in Apps (not by `wineserver -w`, which would wait for
# every Wine process).
wine "$installed/uninstall.exe" /S
for _ in $(seq 60); do
  wine reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Tokentray' >/dev/null 2>&1 || break
  sleep 0.5
done
for f in tokentray.exe tokentray-desktop.exe WebView2Loader.dll; do
  [ ! -e "$installed/$f" ] || fail "the uninstaller left $installed/$f"
done
[ -d "$data" ] || fail "the silent uninstaller removed the data (it must ask, and keep it unless told)"
wine reg query 'HKCU\Environment' /v Path 2>/dev/null | tr -d '\r' | grep -qi 'Programs\\Tokentray' &&
  fail "the uninstaller left Tokentray on the PATH"
[ ! -e "$user_dir/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Tokentray" ] || fail "the uninstaller left the Start-menu entry"
pgrep -f 'Tokentray.tokentray-desktop.exe' >/dev/null && fail "the uninstaller left the tray app running"
echo "uninstalled: the running tray app stopped; the programs, the PATH entry and the Start-menu entry gone; the data kept"

step "done"
echo "Windows under Wine: all passed in $((SECONDS - started)) s"
