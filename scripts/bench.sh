#!/usr/bin/env bash
# make bench: each figure beside a baseline measured in the same run, on this machine.
# Writes bench/results/latest.json and bench/results/latest.md, and prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh bench
cmake --preset release >/dev/null
cmake --build build/release -j "$(nproc)" --target kelu
BIN=$PWD/build/release/src/kelu
DURATION=${KELU_BENCH_SECONDS:-8}
CONNS=${KELU_BENCH_CONNECTIONS:-64}

work=$(mktemp -d /tmp/kelu-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rps() { awk '/Requests\/sec/ {print $2}'; }

# kelu on SQLite with the demo tenant; the measured route is an authenticated cheap read.
db="sqlite:$work/kelu.db"
boss_pw=$("$BIN" --db "$db" demo --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print([u for u in d["tenant"]["users"] if u["role"]=="boss"][0]["password"])')
kport=$(free_port)
KELU_SERVER_ACCESS_LOG=off "$BIN" --db "$db" serve --listen "127.0.0.1:$kport" >"$work/kelu.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$work/kelu.log" && break; sleep 0.1; done
token=$(curl -sf "http://127.0.0.1:$kport/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"tenant\":\"demo\",\"login\":\"boss\",\"password\":\"$boss_pw\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -sf "http://127.0.0.1:$kport/api/v1/tenant" -H "authorization: Bearer $token" >"$work/tenant.json"

# nginx serving the same bytes as a static file: the baseline.
mkdir -p "$work/nginx/logs" "$work/www"
cp "$work/tenant.json" "$work/www/tenant.json"
chmod -R a+rX "$work/www"
nport=$(free_port)
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes $(nproc);
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$nport;
    location / { root $work/www; default_type application/json; }
  }
}
CONF
/usr/sbin/nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$nport/tenant.json" >/dev/null && break; sleep 0.1; done

echo "wrk -t2 -c$CONNS -d${DURATION}s on each…"
kelu_rps=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" -H "Authorization: Bearer $token" "http://127.0.0.1:$kport/api/v1/tenant" | rps)
nginx_rps=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$nport/tenant.json" | rps)
ratio=$(python3 -c "print(round($kelu_rps / $nginx_rps, 3))")
bytes=$(wc -c <"$work/tenant.json")

mkdir -p bench/results
python3 - "$kelu_rps" "$nginx_rps" "$ratio" "$bytes" "$CONNS" "$DURATION" <<'PY'
import json, sys, datetime, platform, os
kelu, nginx, ratio, size, conns, secs = sys.argv[1:]
result = {
    "machine": {"cores": os.cpu_count(), "system": platform.platform()},
    "settings": {"tool": "wrk", "threads": 2, "connections": int(conns), "seconds": int(secs)},
    "figures": [{
        "name": "authenticated API read (GET /api/v1/tenant, SQLite)",
        "value": float(kelu), "unit": "requests/s",
        "baseline": {"name": f"nginx serving the same {size} bytes as a static file", "value": float(nginx)},
        "ratio": float(ratio),
    }],
}
json.dump(result, open("bench/results/latest.json", "w"), indent=2)
rows = ["| figure | value | baseline | baseline value | ratio |", "| --- | --- | --- | --- | --- |"]
for f in result["figures"]:
    rows.append(f"| {f['name']} | {f['value']:.0f} {f['unit']} | {f['baseline']['name']} | {f['baseline']['value']:.0f} | {f['ratio']} |")
open("bench/results/latest.md", "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
PY
