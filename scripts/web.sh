#!/usr/bin/env bash
# Installs the Node packages (package-lock.json, again whenever the lock changes) and builds the
# web app into web/dist with a type check first. Used by make run and make test.
# Usage: scripts/web.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "web: installing nodejs and npm"
  apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# Vite 8 needs Node.js 20.19 or newer.
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "web: Node.js $(node --version) is too old: the web build (Vite 8) needs 20.19 or newer" >&2
  exit 1
fi
if ! cmp -s package-lock.json node_modules/.kelu-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.kelu-lock
fi
[ "${1:-}" = "--no-build" ] && exit 0
npx --no-install tsc -p web/tsconfig.json
npx --no-install vite build --config web/vite.config.ts --logLevel warn
