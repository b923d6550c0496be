#!/usr/bin/env bash
# Team mode at scale: 10,000 accounts across 3 daemons on one PostgreSQL, 60 s tokens rotating
# at tests/servers/rotating.mjs, for 5 minutes, with clients asking random daemons for random
# tokens. Prints: tokens served expired (goal 0), refreshes per family exactly once, lateness
# (rotation time against the previous token's end; p50, p99), each daemon's RSS (goal ≤ 100 MB)
# and the database connections each holds (goal ≤ 5). Then KILLS (default 1,000) SIGKILLs at
# random moments against a strict server (no grace), with the CI test's 300 accounts and 5 s
# tokens: families lost by a kill between the server's rotation and the commit are counted.
#   bash tests/bench/team.sh [ACCOUNTS=10000] [SECONDS=300] [KILLS=1000]
# Release binaries (built here if missing); a throwaway PostgreSQL of its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
accounts=${1:-10000}
seconds=${2:-300}
kills=${3:-1000}
bin=${BIN_DIR:-target/release}
[ -x "$bin/tokentray-full" ] || cargo build --release -p tokentray-cli --locked
eval "$(bash tests/postgres.sh start)"
work=$(mktemp -d /tmp/tokentray-team-bench.XXXXXX)
cleanup() { pkill -P $$ 2>/dev/null || true; bash tests/postgres.sh stop "$TOKENTRAY_TEST_POSTGRES_DIR"; rm -rf "$work"; }
trap cleanup EXIT
export TOKENTRAY_PASSPHRASE=bench-team TOKENTRAY_TEAM_LEASE_SECS=${LEASE_SECS:-20}

run_team() { # ACCOUNTS TTL GRACE SECONDS KILLS
  local accounts=$1 ttl=$2 grace=$3 secs=$4 nkills=$5 db="bench_$RANDOM"
  psql "$TOKENTRAY_TEST_POSTGRES_URL" -qc "CREATE DATABASE $db"
  local url=${TOKENTRAY_TEST_POSTGRES_URL%/postgres}/$db
  ROTATING_TTL=$ttl ROTATING_GRACE=$grace node tests/servers/rotating.mjs >"$work/server.json" &
  local server_pid=$!
  while [ ! -s "$work/server.json" ]; do sleep 0.1; done
  local server; server=$(python3 -c "import json;print(json.load(open('$work/server.json'))['url'])")
  rm -rf "$work"/{a,b,c}
  TOKENTRAY_HOME="$work/a" "$bin/tokentray" team init "$url" >/dev/null
  for m in b c; do TOKENTRAY_HOME="$work/$m" "$bin/tokentray" team join "$url" >/dev/null; done
  python3 - "$work/a/profile.toml" "$server" "$accounts" <<'PY'
import sys
path, server, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "w") as f:
    for i in range(n):
        f.write(f'[[account]]\nname = "acc-{i}"\ngrant = "refresh_token"\ntoken_url = "{server}/token"\nclient_id = "bench"\nrefresh_token = "fam-{i}-0"\n\n')
PY
  declare -gA pids
  start() { TOKENTRAY_HOME="$work/$1" "$bin/tokentray" daemon 2>>"$work/$1.log" & pids[$1]=$!; while [ ! -S "$work/$1/engine.sock" ]; do sleep 0.05; done; }
  for m in a b c; do start $m; done
  # Clients: random daemon, random account, each token checked at the server as of when served.
  python3 - "$work" "$bin" "$server" "$accounts" "$secs" "$nkills" <<'PY' >"$work/clients.txt" &
import json, os, random, subprocess, sys, time, urllib.request
work, bin, server, n, secs, nkills = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
served = expired = refused = 0
end = time.time() + secs
while time.time() < end:
    m = random.choice("abc")
    out = subprocess.run([f"{bin}/tokentray", "token", f"acc-{random.randrange(n)}"], capture_output=True, env={**os.environ, "TOKENTRAY_HOME": f"{work}/{m}"})
    at = int(time.time() * 1000)
    if out.returncode != 0:
        refused += 1
        continue
    check = json.load(urllib.request.urlopen(f"{server}/check?token={out.stdout.decode().strip()}&at={at}"))
    served += 1
    expired += 0 if check["active"] else 1
print(json.dumps({"served": served, "expired": expired, "refused": refused}))
PY
  local clients=$!
  local deadline=$((SECONDS + secs))
  if [ "$nkills" -gt 0 ]; then
    local every; every=$(python3 -c "print(max(0.05, $secs / $nkills))")
    for ((k = 0; k < nkills && SECONDS < deadline; k++)); do
      sleep "$every"; local m; m=$(printf 'a\nb\nc' | shuf -n1)
      kill -9 "${pids[$m]}" 2>/dev/null || true; wait "${pids[$m]}" 2>/dev/null || true; start "$m"
    done
  fi
  sleep $((SECONDS < deadline ? deadline - SECONDS : 0))
  # Memory and connections while running.
  for m in a b c; do
    local rss; rss=$(awk '/VmRSS/ {print $2}' "/proc/${pids[$m]}/status")
    echo "daemon $m: RSS $((rss / 1024)) MB"
  done
  # Each daemon: a pool of at most 4, and its listener.
  echo "database connections held: $(psql "$url" -tAc "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = '$db'") for 3 daemons (goal ≤ 5 each)"
  wait $clients
  for m in a b c; do kill -TERM "${pids[$m]}"; wait "${pids[$m]}" 2>/dev/null || true; done
  echo "clients: $(cat "$work/clients.txt")"
  curl -s "$server/stats" | python3 -c "
import json, subprocess, sys
s = json.load(sys.stdin)
recorded = dict(l.split('|') for l in subprocess.run(['psql', '$url', '-tAc', \"SELECT a.name, COUNT(h.id) FROM accounts a LEFT JOIN refresh_history h ON h.account_id = a.id AND h.outcome = 'ok' GROUP BY a.name\"], capture_output=True, text=True).stdout.split())
differ = [i for i in range($accounts) if int(recorded.get(f'acc-{i}', 0)) != s['rotations'].get(f'fam-{i}', 0)]
print(f\"rotations {sum(s['rotations'].values())}; families whose rotations differ from the refreshes recorded: {len(differ)} (exactly once: 0)\")
print(f\"reuses caught: {sum(s['reuses'].values())}; families revoked: {len(s['revoked'])}; old refresh tokens answered within the grace: {sum(s['graces'].values())}\")
print(f\"lateness (rotation against the previous token's end, ms): {s['lateness']}\")
"
  kill $server_pid
}

echo "== $accounts accounts, 3 daemons, 60 s tokens, $seconds s, no kills"
run_team "$accounts" 60 0 "$seconds" 0
echo "== $kills SIGKILLs at random moments, strict server (no grace): 300 accounts, 5 s tokens, $seconds s"
run_team 300 5 0 "$seconds" "$kills"
