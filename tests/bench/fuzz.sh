#!/usr/bin/env bash
# The fuzz targets at length (src-tauri/core/tests/fuzz.rs): SECONDS each (600 by default; CI
# runs 30), release build, the five targets side by side (token responses, JWTs, profiles,
# socket requests, profile numbers). Prints inputs tried per target.
#   bash tests/bench/fuzz.sh [SECONDS=600]
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKENTRAY_FUZZ_SECS=${1:-600} cargo test --release -p tokentray-core --test fuzz -- --nocapture 2>&1 |
  grep -E '^fuzz |test result|panicked|minimal failing input'
