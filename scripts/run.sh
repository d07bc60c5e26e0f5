#!/usr/bin/env bash
# make run: serve the product on its embedded default (SQLite in ./data) at
# http://127.0.0.1:8080, with a demo operator and a demo tenant whose logins are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/web.sh
mkdir -p data
config=()
[ -f kelu.toml ] && config=(--config kelu.toml)
echo "Demo logins (passwords are set anew on every start):"
bin/kelu "${config[@]}" demo
echo
exec bin/kelu "${config[@]}" serve
