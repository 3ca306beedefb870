#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what the tests need, builds Orderly in _build and runs every suite:
# the GLib tests (core, server, window, data files), the same core and server
# tests under AddressSanitizer + UndefinedBehaviorSanitizer, the packet-decoder
# fuzzers, and the node tests (socket.io-client, ws, the dashboard in Chromium),
# with a throwaway PostgreSQL server for the PostgreSQL backend and the cluster.
# The last line reads "N passed, N failed"; the exit status is non-zero on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. build-aux/deps.sh
orderly_install_packages "${ORDERLY_BUILD_PACKAGES[@]}" "${ORDERLY_TEST_PACKAGES[@]}" || exit 1

out="$top/test-output"
mkdir -p "$out"

total_passed=0
total_failed=0
werror=false
[ -n "${CI:-}" ] && werror=true

add_counts ()  # SUITE PASSED FAILED
{
  echo "== $1: $2 passed, $3 failed"
  total_passed=$((total_passed + $2))
  total_failed=$((total_failed + $3))
}

# A throwaway PostgreSQL server for the PostgreSQL store, cluster and node
# tests; stopped on the way out, whatever happens.
pg_dir=$(mktemp -d /tmp/orderly-test-pg.XXXXXX)
stop_pg () { build-aux/pg-test-server.sh stop "$pg_dir"; rm -rf "$pg_dir"; }
trap stop_pg EXIT
if ORDERLY_TEST_PG_URI=$(build-aux/pg-test-server.sh start "$pg_dir"); then
  export ORDERLY_TEST_PG_URI ORDERLY_TEST_PG_DIR="$pg_dir"
  export ORDERLY_TEST_PG_SERVER="$top/build-aux/pg-test-server.sh"
else
  echo "The PostgreSQL test server did not start" >&2
  add_counts "postgresql server" 0 1
fi

build_dir ()  # DIR MESON-ARGS...
{
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" -Dwerror=$werror "$@" || return 1
  else
    meson configure "$dir" -Dwerror=$werror "$@" >/dev/null || return 1
  fi
  meson compile -C "$dir"
}

run_meson_suite ()  # NAME DIR MESON-TEST-ARGS...
{
  local name=$1 dir=$2; shift 2
  rm -f "$dir/meson-logs/testlog.json"
  xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- \
    meson test -C "$dir" --no-rebuild --print-errorlogs "$@"
  add_counts "$name" $(python3 build-aux/count-tests.py meson "$dir/meson-logs/testlog.json")
}

# 1. The main build and every GLib suite.
if build_dir _build -Dprofile=development -Dpostgresql=enabled; then
  run_meson_suite "glib" _build
else
  add_counts "build" 0 1
fi

# 2. Core and server again under ASan + UBSan.
if build_dir _build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dui=false -Dpostgresql=enabled; then
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_meson_suite "asan+ubsan" _build-asan --suite core --suite server
else
  add_counts "asan build" 0 1
fi

# 3. libFuzzer targets for the packet decoders, bounded in time.
if command -v clang >/dev/null && [ -d tests/fuzz ]; then
  if CC=clang build_dir _build-fuzz -Dfuzzing=true -Dui=false; then
    fuzz_passed=0 fuzz_failed=0
    for fuzzer in _build-fuzz/tests/fuzz/fuzz-*; do
      [ -f "$fuzzer" ] && [ -x "$fuzzer" ] || continue
      name=$(basename "$fuzzer")
      corpus="$out/corpus-$name"; mkdir -p "$corpus"
      if "$fuzzer" -max_total_time="${ORDERLY_FUZZ_SECONDS:-30}" -rss_limit_mb=2048 \
           "$corpus" tests/fuzz/seeds/"${name#fuzz-}" >"$out/$name.log" 2>&1; then
        fuzz_passed=$((fuzz_passed + 1))
      else
        echo "fuzzer $name failed, see $out/$name.log"; tail -30 "$out/$name.log"
        fuzz_failed=$((fuzz_failed + 1))
      fi
    done
    add_counts "fuzz" $fuzz_passed $fuzz_failed
  else
    add_counts "fuzz build" 0 1
  fi
fi

# 4. Node tests: real socket.io-client and ws clients, the dashboard in Chromium.
if [ -f tests/js/package-lock.json ]; then
  if (cd tests/js && npm ci --no-audit --no-fund --loglevel=error); then
    ORDERLY_BIN="$top/_build/src/orderly" ORDERLY_TEST_OUTPUT="$out" \
      GSETTINGS_SCHEMA_DIR="$top/_build/data" GSETTINGS_BACKEND=memory \
      node --test --test-reporter=tap --test-concurrency=1 tests/js/ > "$out/js.tap" 2>&1
    grep -E '^(not ok|# (pass|fail|cancelled))' "$out/js.tap" || true
    grep -B2 -A25 '^not ok' "$out/js.tap" | head -200 || true
    add_counts "node" $(python3 build-aux/count-tests.py tap "$out/js.tap")
  else
    add_counts "npm ci" 0 1
  fi
fi

echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
