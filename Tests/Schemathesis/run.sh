#!/usr/bin/env bash
# Schemathesis against every OpenAPI document (portal, appeals, the dispatcher's transparency log), every check, positive and negative cases, a bounded number of
# examples per operation. Starts its own database (on the private cluster), portal-adapter, appeals-service and dispatcher,
# and stops them. Called by `make schemathesis` with: BIN (the built executables), ADMIN_URL, VENV, EXAMPLES.
set -euo pipefail
: "${BIN:?}" "${ADMIN_URL:?}" "${VENV:?}"
EXAMPLES=${EXAMPLES:-40}
here=$(cd "$(dirname "$0")" && pwd)
db=dakiya_schemathesis
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
psql "$ADMIN_URL" -qc "CREATE DATABASE $db" >/dev/null
url=${ADMIN_URL/\/postgres\?//$db?}
export DAKIYA_DATABASE_URL=$url
"$BIN/dakiya-admin" migrate >/dev/null
"$BIN/dakiya-admin" catalogue import --sample >/dev/null
"$BIN/dakiya-admin" offices import --sample >/dev/null
"$BIN/dakiya-admin" department add REVENUE "Revenue Department" >/dev/null
secret() { awk '/^secret/ {print $NF}'; }
portal_key=$("$BIN/dakiya-admin" key create --department REVENUE --label schemathesis --kind test --scope citizens | secret)
officer_key=$("$BIN/dakiya-admin" officer-key create --role TAHSILDAR --office HAVELI --name "Tahsildar, Haveli" | secret)

# Ports from below the kernel's ephemeral range (Tests/Support/harness.py free_port), distinct, each bindable now:
# a port-0 pick could be handed to another process (or taken by an outgoing connection) before the service binds.
read -r portal_port appeals_port dispatcher_port < <(python3 -c "import sys; sys.path.insert(0, '$here/../Support'); from harness import free_port; print(*(free_port() for _ in range(3)))")
logs=$(mktemp -d)
pids=()
cleanup() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT
DAKIYA_HTTP_PORT=$portal_port DAKIYA_LOG_LEVEL=warning "$BIN/portal-adapter" >"$logs/portal.log" 2>&1 & pids+=($!)
DAKIYA_HTTP_PORT=$appeals_port DAKIYA_LOG_LEVEL=warning "$BIN/appeals-service" >"$logs/appeals.log" 2>&1 & pids+=($!)
DAKIYA_HTTP_PORT=$dispatcher_port DAKIYA_LOG_LEVEL=warning "$BIN/dispatcher" >"$logs/dispatcher.log" 2>&1 & pids+=($!)
for port in $portal_port $appeals_port $dispatcher_port; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
done
# A citizen and an application the generated requests can meet.
curl -sf -X PUT "http://127.0.0.1:$portal_port/v1/citizens/u-1" -H "Authorization: Bearer $portal_key" -H 'Content-Type: application/json' \
     -d '{"email": "citizen@example.in", "language": "mr"}' >/dev/null

status=0
run() {
  local name=$1 port=$2 key=$3
  echo "== schemathesis: $name (http://127.0.0.1:$port/openapi.json, $EXAMPLES examples per operation)"
  "$VENV/bin/st" --config-file "$here/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
      --header "Authorization: Bearer $key" --max-examples "$EXAMPLES" --seed "${SEED:-20261127}" || status=1
}
run "portal API" "$portal_port" "$portal_key"
run "appeals API (department key)" "$appeals_port" "$portal_key"
run "appeals API (officer key)" "$appeals_port" "$officer_key"
run "transparency log (dispatcher)" "$dispatcher_port" "none"
if grep -q '"level":"error"' "$logs"/*.log; then
  echo "== errors logged by the services:"; grep -h '"level":"error"' "$logs"/*.log | head -20; status=1
fi
exit $status
