#!/usr/bin/env bash
# Installs everything Tokentray needs to build, run and test on Debian/Ubuntu: system
# packages, the UI's and the tests' npm packages, tauri-driver and cargo-deny. Safe to run again: it
# installs only what is missing. Needs root or sudo for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)

# Build: WebKitGTK, the tray, and the Secret Service client. Tests: a display, a session bus,
# a keyring daemon, a notification daemon, a clipboard, WebKit's WebDriver, screenshots, and a
# window manager (openbox, wmctrl) to close the window as a desktop does. The credential helpers'
# tests run the real git, kubectl, bash and fish, and make a certificate with openssl. Team
# mode's tests start a real PostgreSQL of their own (tests/postgres.sh).
packages=(
  build-essential pkg-config curl wget file libssl-dev libdbus-1-dev
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev
  xvfb xauth dbus-x11 webkit2gtk-driver gnome-keyring dunst xclip imagemagick openbox wmctrl
  git fish openssl postgresql
)
# kubectl: any recent one (these machines have 1.32 from google-cloud-cli); else Debian's.
command -v kubectl >/dev/null || packages+=(kubernetes-client)
# The AWS CLI (its credential_process runs `tokentray aws-credential`): any; else Debian's.
command -v aws >/dev/null || packages+=(awscli)
# moto's STS for the AWS test lives in a virtualenv of the tests' own (tests/.venv).
packages+=(python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt: installing ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node 20.19+ (Vite 8). Debian's own nodejs is older on bookworm; say so plainly.
if ! command -v node >/dev/null; then
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' || {
  echo "Node.js 20.19 or newer is needed (found $(node --version)); install it from your distribution or nodejs.org" >&2
  exit 1
}

# Rust: the stable toolchain through rustup.
if ! command -v cargo >/dev/null; then
  [ -x "$HOME/.cargo/bin/cargo" ] || curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
  export PATH="$HOME/.cargo/bin:$PATH"
fi

echo "==> npm: ui/ and tests/"
# `npm install`, not `npm ci`: the lock files pin every version, but the registry reachable here
# lacks @tauri-apps/cli's packages for other platforms, which `npm ci` insists on finding.
npm install --prefix ui --no-audit --no-fund --loglevel=error
npm install --prefix tests --no-audit --no-fund --loglevel=error

if ! [ -x tests/.venv/bin/moto_server ]; then
  echo "==> pip: moto[server] into tests/.venv (an STS for the AWS test)"
  python3 -m venv tests/.venv
  tests/.venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6'
fi

if ! command -v tauri-driver >/dev/null; then
  echo "==> cargo install tauri-driver (WebDriver for the app)"
  cargo install tauri-driver --version 2.1.0 --locked --quiet
fi

if ! command -v cargo-deny >/dev/null; then
  echo "==> cargo install cargo-deny (licenses, bans and sources of the dependency tree)"
  cargo install cargo-deny --version 0.20.2 --locked --quiet
fi
