#!/usr/bin/env bash
# make test: install what is missing, build (debug, ASan+UBSan) and the web app, then run every
# test: unit and storage tests (ctest) on SQLite and on a throwaway PostgreSQL, the API tests
# against the running binary on both databases, and the browser tests (Debian's chromium driven
# by playwright-core) against the built app. Prints a summary; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test || exit 1
# The Node packages, then the web app (type-checked and built into web/dist) that the browser
# tests drive.
scripts/web.sh || exit 1

cmake --preset debug >/dev/null || exit 1
cmake --build build/debug -j "$(nproc)" || exit 1

work=$(mktemp -d /tmp/kelu-test.XXXXXX)
chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { scripts/pg.sh stop "$work/pg"; rm -rf "$work"; }
trap cleanup EXIT
export KELU_TEST_PG_URL=$(scripts/pg.sh start "$work/pg" "$port") || { echo "PostgreSQL did not start"; exit 1; }
export KELU_BIN=$PWD/build/debug/src/kelu
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

failed=()
echo "== unit and storage tests (ctest)"
(cd build/debug && ctest --output-on-failure -j "$(nproc)") || failed+=("ctest")

for db in sqlite postgres; do
  echo "== API tests on $db"
  KELU_TEST_DB=$db node --test tests/api/ || failed+=("api-$db")
done

# Each libFuzzer target (fuzz/) for a few seconds from its committed corpus: the seeds and every
# input that once crashed it.
echo "== fuzz targets (seconds each, from the corpus)"
scripts/fuzz.sh --quick || failed+=("fuzz")

# Debian's chromium driving the built app (tests/e2e/browser.mjs).
echo "== browser tests (chromium)"
node --test --test-concurrency=1 tests/e2e/ || failed+=("browser")

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "make test: all suites passed"
  exit 0
fi
echo "make test: FAILED: ${failed[*]}"
exit 1
