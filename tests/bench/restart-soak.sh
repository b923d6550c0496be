#!/usr/bin/env bash
# The restart soak at length (src-tauri/cli/tests/restarts.rs; CI runs it for 60 s with 20
# accounts): one daemon stopped and started again and again (SIGTERM and SIGKILL in turn,
# every 2-6 s, away up to 0.8 s) while a script asks for tokens, 6 s tokens rotating at a
# counting server. Prints the restarts, the tokens served (0 expired), the renewals the server
# saw (0 after the token they renewed had run out), families lost and accounts shown failing
# without an error. Release build.
#   bash tests/bench/restart-soak.sh [SECONDS=600] [ACCOUNTS=100]
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKENTRAY_SOAK_SECS=${1:-600} TOKENTRAY_SOAK_ACCOUNTS=${2:-100} \
  cargo test --release -p tokentray-cli --test restarts -- --nocapture 2>&1 |
  grep -E '^restart soak|test result|panicked|served expired|unexplained'
