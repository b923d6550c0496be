#!/usr/bin/env bash
# Runs a command inside a private session D-Bus with an unlocked gnome-keyring: a real Secret
# Service, in a throwaway HOME so that no real keyring is touched.
#   bash tests/with-keyring.sh cargo test --workspace
set -euo pipefail
if [ -z "${TOKENTRAY_IN_KEYRING_SESSION:-}" ]; then
  # Keep the Rust toolchain where it is when HOME moves.
  export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
  export TOKENTRAY_IN_KEYRING_SESSION=1
  exec dbus-run-session -- bash "$0" "$@"
fi
HOME="$(mktemp -d)"
export HOME
# --unlock creates the login keyring with this password and unlocks it without a prompt.
printf 'tokentray-test-keyring' | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
exec "$@"
