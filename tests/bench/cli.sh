#!/usr/bin/env bash
# CLI benchmark, side by side in one run (release build, hyperfine, the test IdP on 127.0.0.1):
#   1. a cached token: `tokentray token` and each credential helper's cached answer vs
#      oidc-agent's `oidc-token` vs a hello-world binary (the helpers that read stdin, git's and
#      Docker's, in a second table run through hyperfine's shell, whose start it subtracts);
#   2. a token request: `tokentray refresh` vs curl to the same token endpoint;
#   3. a forced refresh with refresh-token rotation: `tokentray refresh` vs `oidc-token -f`.
# Needs Debian's oidc-agent and hyperfine (installed here if missing). Prints medians and ratios.
#   bash tests/bench/cli.sh [RUNS=300]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-300}
for tool in oidc-agent hyperfine; do
  command -v "$tool" >/dev/null || sudo_apt=1
done
if [ -n "${sudo_apt:-}" ]; then
  $( [ "$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q oidc-agent hyperfine >/dev/null
fi
cargo build --release -p tokentray-cli --quiet
work=$(mktemp -d)
tt=target/release/tokentray
rustc -O -o "$work/hello" tests/bench/hello.rs
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

IDP_ACCESS_TOKEN_TTL=3600 node tests/idp/server.mjs >"$work/idp.json" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/idp.json" ] && break; sleep 0.1; done
issuer=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).issuer' "$work/idp.json")

# Tokentray: a daemon on a scratch home; `web` is signed in once (curl plays the browser).
export TOKENTRAY_HOME="$work/tokentray" TOKENTRAY_PASSPHRASE=bench
mkdir -p "$TOKENTRAY_HOME"
cat >"$TOKENTRAY_HOME/profile.toml" <<TOML
[[account]]
name = "api"
grant = "client_credentials"
token_url = "$issuer/token"
client_id = "cc-basic"
client_secret = "cc-basic-secret"
git_hosts = ["git.example.test"]
registry_hosts = ["registry.example.test"]

[[account]]
name = "web"
grant = "authorization_code"
authorization_url = "$issuer/auth"
token_url = "$issuer/token"
client_id = "app-confidential"
client_secret = "app-confidential-secret"
scope = "openid offline_access api:read"
TOML
TOKENTRAY_LOG=warn $tt daemon 2>"$work/daemon.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$TOKENTRAY_HOME/engine.sock" ] && break; sleep 0.1; done
BROWSER="curl -sL -c $work/jar -o /dev/null" $tt login web >/dev/null 2>&1
$tt token api >/dev/null

# oidc-agent, set up without a person, from a refresh token of the same IdP.
export OIDC_CONFIG_DIR="$work/oidc" OIDC_ENCRYPTION_PW=bench
mkdir -p "$OIDC_CONFIG_DIR"
eval "$(oidc-agent --no-autoload --quiet)"
pids+=("$OIDCD_PID")
rt=$(node tests/bench/refresh-token.mjs "$issuer" app-confidential app-confidential-secret)
oidc-gen bench --iss="$issuer" --client-id=app-confidential --client-secret=app-confidential-secret \
  --rt="$rt" --scope="openid offline_access" --pw-env --confirm-default --prompt=none >/dev/null 2>&1
oidc-token bench >/dev/null

# hyperfine's "statistical outliers" notes are noise on a shared machine; errors still show.
quiet() { "$@" 2> >(grep -v -e 'Statistical outliers' -e 'Command took less than 5 ms' -e '^ *$' >&2); }
echo "== cached token ($runs runs each)"
quiet hyperfine -N --style basic --warmup 30 --runs "$runs" --export-json "$work/cached.json" \
  -n hello "$work/hello" -n "tokentray token" "$tt token api" -n oidc-token "oidc-token bench" \
  -n "tokentray kubectl-credential" "$tt kubectl-credential api" -n "tokentray env" "$tt env api" >/dev/null
printf 'protocol=https\nhost=git.example.test\n\n' >"$work/git.in"
echo registry.example.test >"$work/docker.in"
ln -s "$PWD/$tt" "$work/docker-credential-tokentray"
echo "== helpers that read stdin, through the shell ($runs runs each)"
quiet hyperfine --style basic --warmup 30 --runs "$runs" --export-json "$work/stdin.json" \
  -n hello "$work/hello </dev/null" -n "tokentray token" "$tt token api </dev/null" -n oidc-token "oidc-token bench </dev/null" \
  -n "tokentray git-credential get" "$tt git-credential get <$work/git.in" \
  -n "docker-credential-tokentray get" "$work/docker-credential-tokentray get <$work/docker.in" >/dev/null
echo "== token request to the same endpoint (100 runs each)"
quiet hyperfine -N --style basic --warmup 5 --runs 100 --export-json "$work/request.json" \
  -n curl "curl -sf -u cc-basic:cc-basic-secret -d grant_type=client_credentials $issuer/token" \
  -n "tokentray refresh" "$tt refresh api" >/dev/null
echo "== forced refresh with refresh-token rotation (30 runs each)"
quiet hyperfine -N --style basic --warmup 2 --runs 30 --export-json "$work/rotation.json" \
  -n "tokentray refresh" "$tt refresh web" -n "oidc-token -f" "oidc-token -f bench" >/dev/null

node - "$work" <<'JS'
const fs = require('fs');
const dir = process.argv[2];
const read = (f) => Object.fromEntries(JSON.parse(fs.readFileSync(`${dir}/${f}.json`)).results
  .map((r) => [r.command, r]));
const ms = (r) => (r.median * 1000).toFixed(2).padStart(8) + ' ms';
const row = (label, r, extra = '') => console.log(`${label.padEnd(34)} median ${ms(r)}  (min ${(Math.min(...r.times) * 1000).toFixed(2)} ms) ${extra}`);
const ratio = (a, b) => (a.median / b.median).toFixed(2) + '×';
const goals = (c, name) => `= ${ratio(c[name], c['oidc-token'])} oidc-token (goal ≤ 1.0×), ${ratio(c[name], c.hello)} hello-world (goal ≤ 1.3×)`;
for (const [file, title] of [['cached', 'cached token'], ['stdin', 'cached token, helpers reading stdin (shell start subtracted)']]) {
  const c = read(file);
  console.log(`\n${title}`);
  row('hello-world (process start)', c.hello);
  row('oidc-token NAME', c['oidc-token']);
  for (const name of Object.keys(c).filter((n) => n.startsWith('tokentray') || n.startsWith('docker'))) {
    row(name, c[name], goals(c, name));
  }
}
const q = read('request');
console.log('\ntoken request (client credentials, same endpoint)');
row('curl', q.curl);
row('tokentray refresh NAME', q['tokentray refresh'], `= ${ratio(q['tokentray refresh'], q.curl)} curl (goal ≤ 1.3×)`);
const r = read('rotation');
console.log('\nforced refresh with rotation');
row('oidc-token -f NAME', r['oidc-token -f']);
row('tokentray refresh NAME', r['tokentray refresh'], `= ${ratio(r['tokentray refresh'], r['oidc-token -f'])} oidc-token -f (goal ≤ 0.1×)`);
JS
