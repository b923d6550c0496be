#!/usr/bin/env bash
# Scheduler benchmark: ACCOUNTS client-credentials accounts with a TTL-second token, kept
# fresh for SECONDS against the project's own token server (tests/servers/custom-api.mjs:
# lighter than the IdP, so the engine is what is measured). Prints figures.
#   bash tests/bench/scheduler.sh [ACCOUNTS=10000] [SECONDS=300] [TTL=60]
set -euo pipefail
cd "$(dirname "$0")/../.."
accounts=${1:-10000} seconds=${2:-300} ttl=${3:-60}
cargo build --release -p tokentray-core --example bench_scheduler --quiet
ready=$(mktemp)
CUSTOM_TTL=$ttl node tests/servers/custom-api.mjs >"$ready" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$ready"' EXIT
for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.1; done
url=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).url' "$ready")
TOKENTRAY_LOG=warn target/release/examples/bench_scheduler "$url/oauth/token" "$accounts" "$seconds"
