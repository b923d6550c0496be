#!/usr/bin/env bash
# Sets everything up and starts Tokentray with a demo profile: its own data directory
# (.demo/), the local test IdP issuing 30-second tokens, and a few demo accounts, so that
# tokens are seen refreshing at once. Ctrl+C stops the app and the IdP.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash tests/setup.sh

echo "==> building the app and the CLI (debug)"
cargo build -p tokentray-cli --quiet
ui/node_modules/.bin/tauri build --debug --no-bundle >/dev/null

export TOKENTRAY_HOME="$PWD/.demo"
# The demo's own data directory is sealed with a passphrase so that it runs anywhere, with or
# without a desktop keyring; your real data directory uses the OS keyring.
export TOKENTRAY_PASSPHRASE="${TOKENTRAY_PASSPHRASE:-tokentray-demo}"
mkdir -p "$TOKENTRAY_HOME"
idp_log="$TOKENTRAY_HOME/idp.log"
IDP_ACCESS_TOKEN_TTL=30 node tests/idp/server.mjs >"$TOKENTRAY_HOME/idp.ready" 2>"$idp_log" &
idp_pid=$!
trap 'kill $idp_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$TOKENTRAY_HOME/idp.ready" ] && break; sleep 0.1; done
issuer=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).issuer' "$TOKENTRAY_HOME/idp.ready")

cat >"$TOKENTRAY_HOME/profile.toml" <<TOML
# Demo accounts against the local test IdP ($issuer), whose tokens live 30 s.
# These secrets belong to the test IdP and protect nothing.

[[account]]
name = "demo-api"
grant = "client_credentials"
token_url = "$issuer/token"
client_id = "cc-jwt"
client_secret = "cc-jwt-secret"
scope = "api:read api:write"

[[account]]
name = "demo-basic"
grant = "client_credentials"
token_url = "$issuer/token"
client_id = "cc-basic"
client_secret = "cc-basic-secret"
scope = "api:read"

[[account]]
name = "demo-post"
grant = "client_credentials"
token_url = "$issuer/token"
client_id = "cc-post"
client_secret = "cc-post-secret"
auth_method = "client_secret_post"

# What a refusal looks like: the server says invalid_client and Tokentray stops retrying.
[[account]]
name = "demo-wrong-secret"
grant = "client_credentials"
token_url = "$issuer/token"
client_id = "cc-basic"
client_secret = "not-the-secret"
TOML

cat <<MSG

Tokentray demo: data in $TOKENTRAY_HOME, test IdP at $issuer (30 s tokens).
Fetch a token from another terminal (it asks the running app over its local socket):
  TOKENTRAY_HOME=$TOKENTRAY_HOME target/debug/tokentray token demo-api
Closing the window keeps Tokentray in the tray; quit from the tray menu or with Ctrl+C here.

MSG

run=(target/debug/tokentray-desktop)
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || run=(dbus-run-session -- "${run[@]}")
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display here: the app runs under Xvfb (invisible); the CLI above still works."
  run=(xvfb-run --auto-servernum "${run[@]}")
fi
"${run[@]}"
