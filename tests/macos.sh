#!/usr/bin/env bash
# The macOS code paths, type-checked from this Linux machine (Rust only): the engine, the CLI
# and the desktop app for aarch64-apple-darwin with std built from source (tests/windows/toolchain.sh). No
# Apple SDK or std for Apple targets exists here, so the C parts (ring, SQLite) are "compiled"
# by a stand-in that writes empty objects: nothing is linked, bundled, signed or run; that
# needs a Mac (docs/packaging.md says how).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
started=$SECONDS
# shellcheck source=tests/windows/toolchain.sh
source tests/windows/toolchain.sh
work=$PWD/target/macos
mkdir -p "$work/bin"
# The stand-in C compiler and archiver: an empty file wherever an output is asked for.
cat >"$work/bin/cc" <<'SH'
#!/bin/sh
out=
while [ $# -gt 0 ]; do
  case $1 in -o) out=$2; shift ;; -o*) out=${1#-o} ;; esac
  shift
done
[ -n "$out" ] && : >"$out"
exit 0
SH
cat >"$work/bin/ar" <<'SH'
#!/bin/sh
# ar FLAGS ARCHIVE FILES…: an empty archive.
printf '!<arch>\n' >"$2"
SH
chmod +x "$work/bin/cc" "$work/bin/ar"
export CC_aarch64_apple_darwin=$work/bin/cc AR_aarch64_apple_darwin=$work/bin/ar
RUSTFLAGS="-D warnings" CARGO_TARGET_DIR=$work/build "$tc/usr/bin/cargo" check --locked -p tokentray-core -p tokentray-cli \
  -p tokentray-desktop --target aarch64-apple-darwin -Zbuild-std=std,panic_abort --quiet
echo "macOS (aarch64-apple-darwin): the engine, the CLI and the desktop app type-check, in $((SECONDS - started)) s"
