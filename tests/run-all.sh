#!/usr/bin/env bash
# Sets everything up and runs every test: lints, the engine and CLI against the real test IdP,
# the UI's checks, the test IdP's own tests, the real app driven through WebDriver under Xvfb
# with a session D-Bus, the Windows build under Wine and the macOS type-check. Screenshots land
# in artifacts/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash tests/setup.sh
# Disk: a CI machine's disk can be nearly full (a run died of "No space left on device" after
# 6 minutes). No incremental caches (nothing is built twice here) and line tables only in our
# own crates (dependencies carry none: Cargo.toml) keep target/ to a third; each step prints
# what is left, so a full disk is seen for what it is.
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=line-tables-only
started=$SECONDS
step() {
  printf '\n==> %s (%ds, %s free)\n' "$1" $((SECONDS - started)) \
    "$(df -h --output=avail . | tail -1 | tr -d ' ')"
}
# The noise of a session bus in a container, left out line by line (line-buffered, so what a
# stuck test printed last is in the log, not in grep's buffer).
quiet() { grep --line-buffered -v -e 'Failed to set fd limit' -e '^dbus-daemon\['; }

step "lints: rustfmt, clippy"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "dependencies: licenses, bans, sources (deny.toml)"
cargo deny check licenses bans sources

step "the engine never depends on tauri (it must build and test without WebKit)"
if cargo tree -p tokentray-core -e normal --locked | grep -E '\b(tauri|wry|webkit2gtk)[a-z0-9-]* v'; then
  echo "tokentray-core depends on the GUI stack" >&2
  exit 1
fi

step "UI types generated from the Rust types (ts-rs) match the committed ones"
cargo test -p tokentray-core --features ts --lib --locked export_bindings --quiet
if [ -n "$(git status --porcelain -- ui/src/lib/bindings)" ]; then
  git status --porcelain -- ui/src/lib/bindings >&2
  echo "ui/src/lib/bindings is out of date: run the command above and commit the result" >&2
  exit 1
fi

step "UI: svelte-check and Vitest"
npm --prefix ui run --silent check
npm --prefix ui test --silent

step "engine and CLI tests (real test IdP, real SQLite, a real PostgreSQL, a real Secret Service)"
rm -f artifacts/crash-test.txt artifacts/fault-matrix.txt artifacts/fuzz-*.txt artifacts/restart-soak.txt
# Team mode's store suite runs on a PostgreSQL of its own, gone when this script ends.
eval "$(bash tests/postgres.sh start)"
trap 'bash tests/postgres.sh stop "$TOKENTRAY_TEST_POSTGRES_DIR"' EXIT
timeout --kill-after=30 2700 bash tests/with-keyring.sh cargo test --workspace --locked 2>&1 | quiet
cat artifacts/crash-test.txt
echo "fault matrix (src-tauri/core/tests/faults.rs):"
cat artifacts/fault-matrix.txt
cat artifacts/fuzz-*.txt
cat artifacts/restart-soak.txt

step "the app: debug build with the bundled UI"
ui/node_modules/.bin/tauri build --debug --no-bundle

step "test IdP's own tests and the real app through WebDriver (Xvfb, session D-Bus, gnome-keyring)"
rm -rf artifacts/e2e
bash tests/with-keyring.sh xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" \
  timeout --kill-after=30 2400 node --test --test-concurrency=1 --test-timeout=300000 tests/idp/ tests/e2e/ 2>&1 | quiet

step "Windows: the engine, CLI, desktop app and installer cross-built and run under Wine (tests/windows.sh)"
timeout --kill-after=30 1800 bash tests/windows.sh

step "macOS: the engine, the CLI and the desktop app type-checked for aarch64-apple-darwin (tests/macos.sh)"
timeout --kill-after=30 1200 bash tests/macos.sh
