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

# --- The CRM at scale: ROWS customers imported through the API, then read, searched, followed up.
ROWS=${KELU_BENCH_ROWS:-100000}
echo "importing $ROWS customers…"
python3 bench/gen_customers.py "$ROWS" "$work/customers.csv"
api() { curl -sf -H "Authorization: Bearer $token" "$@"; }
import_id=$(api -X POST --data-binary @"$work/customers.csv" -H 'content-type: text/csv' \
  "http://127.0.0.1:$kport/api/v1/imports?filename=bench.csv" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
kpid=${pids[0]}
start=$(date +%s.%N)
api -X POST -H 'content-type: application/json' -d '{}' "http://127.0.0.1:$kport/api/v1/imports/$import_id/commit" >"$work/commit.json"
end=$(date +%s.%N)
import_rate=$(python3 -c "print(round($ROWS / ($end - $start)))")
peak_rss_mb=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$kpid/status)
# Baseline: the sqlite3 CLI's .import of the same file into one table of the same columns.
sqlite3 "$work/baseline.db" "CREATE TABLE customers (name TEXT, phone TEXT, level TEXT, city TEXT, contact TEXT, mobile TEXT);"
start=$(date +%s.%N)
sqlite3 "$work/baseline.db" <<SQL
.mode csv
.import --skip 1 $work/customers.csv customers
SQL
end=$(date +%s.%N)
sqlite_rate=$(python3 -c "print(round($ROWS / ($end - $start)))")

# A list page of 25 from the big tenant, beside nginx serving the same bytes.
api "http://127.0.0.1:$kport/api/v1/customers?limit=25" >"$work/www/list.json"
chmod a+r "$work/www/list.json"
list_rps=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" -H "Authorization: Bearer $token" "http://127.0.0.1:$kport/api/v1/customers?limit=25" | rps)
list_nginx_rps=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$nport/list.json" | rps)

# Search latency (one connection, so each figure is a request's own time), beside nginx.
latency() { wrk -t1 -c1 -d"${DURATION}s" --latency "$@" | awk '/ 50%/ {p50=$2} / 99%/ {p99=$2} END {print p50, p99}'; }
to_ms() { python3 -c "import sys; v=sys.argv[1]; print(round(float(v[:-2]) if v.endswith('ms') else float(v[:-2])/1000 if v.endswith('us') else float(v[:-1])*1000, 3))" "$1"; }
read s2_50 s2_99 < <(latency -H "Authorization: Bearer $token" "http://127.0.0.1:$kport/api/v1/search?q=%E6%81%92%E9%80%9A")
read s4_50 s4_99 < <(latency -H "Authorization: Bearer $token" "http://127.0.0.1:$kport/api/v1/search?q=0000042")
read n_50 n_99 < <(latency "http://127.0.0.1:$nport/list.json")

# Follow-ups created per second, beside authenticated reads of /api/v1/me.
customer_id=$(api "http://127.0.0.1:$kport/api/v1/customers?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
cat >"$work/follow.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"customer_id": $customer_id, "type": "call", "content": "bench follow-up"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA
follow_rps=$(wrk -t2 -c8 -d"${DURATION}s" -s "$work/follow.lua" "http://127.0.0.1:$kport/api/v1/follow-ups" | rps)
me_rps=$(wrk -t2 -c8 -d"${DURATION}s" -H "Authorization: Bearer $token" "http://127.0.0.1:$kport/api/v1/me" | rps)

mkdir -p bench/results
python3 - "$kelu_rps" "$nginx_rps" "$ratio" "$bytes" "$CONNS" "$DURATION" "$ROWS" "$import_rate" "$sqlite_rate" \
  "$peak_rss_mb" "$list_rps" "$list_nginx_rps" "$(to_ms "$s2_50")" "$(to_ms "$s2_99")" "$(to_ms "$s4_50")" \
  "$(to_ms "$s4_99")" "$(to_ms "$n_50")" "$(to_ms "$n_99")" "$follow_rps" "$me_rps" <<'PY'
import json, sys, datetime, platform, os
(kelu, nginx, ratio, size, conns, secs, rows, import_rate, sqlite_rate, rss, list_rps, list_nginx,
 s2_50, s2_99, s4_50, s4_99, n_50, n_99, follow_rps, me_rps) = sys.argv[1:]
def fig(name, value, unit, base_name, base_value, goal=None):
    f = {"name": name, "value": float(value), "unit": unit,
         "baseline": {"name": base_name, "value": float(base_value)},
         "ratio": round(float(value) / float(base_value), 3) if float(base_value) else None}
    if goal: f["goal"] = goal
    return f
result = {
    "machine": {"cores": os.cpu_count(), "system": platform.platform()},
    "settings": {"tool": "wrk", "threads": 2, "connections": int(conns), "seconds": int(secs)},
    "figures": [
        fig("authenticated API read (GET /api/v1/tenant, SQLite)", kelu, "requests/s",
            f"nginx serving the same {size} bytes as a static file", nginx),
        fig(f"list of 25 customers from a tenant of {rows} (SQLite)", list_rps, "requests/s",
            "nginx serving the same bytes", list_nginx, "ratio >= 0.5"),
        fig(f"CSV import through the API, {rows} rows (SQLite)", import_rate, "rows/s",
            "sqlite3 .import of the same file into one table", sqlite_rate, "ratio >= 0.5 at 1 M rows"),
        fig("peak RSS of kelu during that import", rss, "MB", "goal", 200, "<= 200 MB"),
        fig(f"search p50, 2 Chinese characters, {rows} customers (SQLite)", s2_50, "ms", "nginx static p50", n_50),
        fig(f"search p99, 2 Chinese characters, {rows} customers (SQLite)", s2_99, "ms", "nginx static p99", n_99, "<= 20 ms at 1 M"),
        fig(f"search p50, 7 phone digits, {rows} customers (SQLite)", s4_50, "ms", "nginx static p50", n_50),
        fig(f"search p99, 7 phone digits, {rows} customers (SQLite)", s4_99, "ms", "nginx static p99", n_99, "<= 20 ms at 1 M"),
        fig("follow-ups created (POST /api/v1/follow-ups, SQLite)", follow_rps, "requests/s",
            "authenticated GET /api/v1/me, same connections", me_rps),
    ],
}
json.dump(result, open("bench/results/latest.json", "w"), indent=2)
rows = ["| figure | value | baseline | baseline value | ratio | goal |", "| --- | --- | --- | --- | --- | --- |"]
for f in result["figures"]:
    rows.append(f"| {f['name']} | {f['value']:g} {f['unit']} | {f['baseline']['name']} | {f['baseline']['value']:g} | {f['ratio']} | {f.get('goal', '')} |")
open("bench/results/latest.md", "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
PY
