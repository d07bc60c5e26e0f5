#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the benchmarks need.
# Idempotent: does nothing when all are present. Usage: scripts/deps.sh [build|test|bench]
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libsqlite3-dev libpq-dev libsodium-dev libtomlplusplus-dev libcli11-dev
  libspdlog-dev libfmt-dev libhowardhinnant-date-dev libcurl4-openssl-dev
  libxlsxwriter-dev libminizip-dev libexpat1-dev libjemalloc-dev libclamav-dev libmagic-dev
  libpoppler-cpp-dev libcrack2-dev cracklib-runtime liboath-dev libqrencode-dev
  libgtest-dev libgmock-dev googletest
)
# chromium and a CJK font for the browser tests (without the font Chinese renders as boxes);
# nginx as the proxy in front of kelu in the forwarded-address tests (and the bench baseline);
# clang and its libFuzzer runtime for the fuzz targets (fuzz/).
test_pkgs=(postgresql-15 python3 python3-aiosmtpd sqlite3 curl chromium fonts-wqy-microhei nginx-light
  clang libclang-rt-14-dev)
bench_pkgs=(wrk)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Boost 1.81 conflicts with Debian's default 1.74 development packages.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
