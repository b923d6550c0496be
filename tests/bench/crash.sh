#!/usr/bin/env bash
# The crash test at length: ITERATIONS SIGKILLs of a process rotating a refresh token against
# the test IdP (release build). CI runs 200 in the debug build; this is the long run.
#   bash tests/bench/crash.sh [ITERATIONS=1000]
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKENTRAY_CRASH_ITERATIONS=${1:-1000} cargo test --release -p tokentray-core --test crash --quiet
cat artifacts/crash-test.txt
