# Sourced by tests/windows.sh and tests/macos.sh: a Rust toolchain that can build std for
# another target, from Debian 12's packages (rustup's server is not reachable here, and
# Debian's std for Windows is rustc 1.63's). rustc-web, cargo-web and the std source, and
# whatever of their dependencies this machine lacks (LLVM, libgit2, …), found through apt
# rather than named so that a newer rustc-web works too, are unpacked into
# target/windows/toolchain: nothing system-wide changes and rustup's toolchain stays the
# default. Sets $tc, RUSTC, RUSTDOC, LD_LIBRARY_PATH and RUSTC_BOOTSTRAP (for -Zbuild-std).
tc=$PWD/target/windows/toolchain
if ! [ -x "$tc/usr/bin/cargo" ] || ! [ -d "$tc/usr/lib/rustlib/src/rust/library" ]; then
  rm -rf "$tc" "$tc.debs"
  mkdir -p "$tc" "$tc.debs"
  wanted=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances rustc-web cargo-web rust-web-src |
    grep -E '^[a-z0-9]' | sort -u |
    while read -r p; do
      case $p in rustc-web|cargo-web|rust-web-src) echo "$p"; continue ;; esac
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"
    done)
  # shellcheck disable=SC2086
  (cd "$tc.debs" && { apt-get download -qq $wanted || { ${SUDO[@]+"${SUDO[@]}"} apt-get update -qq && apt-get download -qq $wanted; }; })
  for deb in "$tc.debs"/*.deb; do dpkg-deb -x "$deb" "$tc"; done
  rm -rf "$tc.debs"
fi
export LD_LIBRARY_PATH="$tc/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export RUSTC="$tc/usr/bin/rustc" RUSTDOC="$tc/usr/bin/rustdoc" RUSTC_BOOTSTRAP=1
"$RUSTC" --version
