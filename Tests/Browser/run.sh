#!/usr/bin/env bash
# The pages people open, in a real browser: headless Chromium (Debian's chromium and chromium-driver) driven by
# Python selenium, with a screenshot of each page and an axe-core accessibility check (WCAG 2.1 A and AA rules).
# Starts its own database on the private cluster, portal-adapter, dispatcher, appeals-service, email-adapter and
# a mail sink (aiosmtpd), seals certificates, files and decides an appeal, and reads the standard dashboard through
# them, and stops them. Called by `make browser-test` with: BIN, ADMIN_URL, VENV, OUT (screenshots).
set -euo pipefail
: "${BIN:?}" "${ADMIN_URL:?}" "${VENV:?}" "${OUT:?}"
here=$(cd "$(dirname "$0")" && pwd)
db=dakiya_browser
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
psql "$ADMIN_URL" -qc "CREATE DATABASE $db" >/dev/null
url=${ADMIN_URL/\/postgres\?//$db?}
export DAKIYA_DATABASE_URL=$url
"$BIN/dakiya-admin" migrate >/dev/null
psql "$ADMIN_URL" -qc "DO \$\$ BEGIN CREATE ROLE dakiya LOGIN IN ROLE dakiya_service; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
"$BIN/dakiya-admin" catalogue import --sample >/dev/null
"$BIN/dakiya-admin" offices import --sample >/dev/null
"$BIN/dakiya-admin" department add REVENUE "Revenue and Forest Department" >/dev/null
key=$("$BIN/dakiya-admin" key create --department REVENUE --label browser --kind live --scope citizens | awk '/^secret/ {print $NF}')
officer=$("$BIN/dakiya-admin" officer-key create --role TAHSILDAR --office HAVELI --name "Tahsildar, Haveli" | awk '/^secret/ {print $NF}')
service_url=${url/user=postgres/user=dakiya}

# Ports from below the kernel's ephemeral range (Tests/Support/harness.py free_port), distinct, each bindable now:
# a port-0 pick could be handed to another process (or taken by an outgoing connection) before the service binds.
read -r portal_port appeals_port smtp_port < <(python3 -c "import sys; sys.path.insert(0, '$here/../Support'); from harness import free_port; print(*(free_port() for _ in range(3)))")
mail=$(mktemp -d)
mkdir -p "$mail/tmp" "$mail/new" "$mail/cur"
logs=$(mktemp -d)
pids=()
cleanup() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "${mail:-}"; psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT
DAKIYA_DATABASE_URL=$service_url DAKIYA_HTTP_PORT=$portal_port DAKIYA_LOG_LEVEL=warning "$BIN/portal-adapter" >"$logs/portal.log" 2>&1 & pids+=($!)
DAKIYA_DATABASE_URL=$service_url DAKIYA_HTTP_PORT=0 DAKIYA_LOG_LEVEL=warning DAKIYA_VERIFY_URL="http://127.0.0.1:$portal_port/v" \
  "$BIN/dispatcher" >"$logs/dispatcher.log" 2>&1 & pids+=($!)
DAKIYA_DATABASE_URL=$service_url DAKIYA_HTTP_PORT=$appeals_port DAKIYA_LOG_LEVEL=warning DAKIYA_DASHBOARD_REFRESH_SECONDS=1 \
  "$BIN/appeals-service" >"$logs/appeals.log" 2>&1 & pids+=($!)
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$mail" >"$logs/smtp.txt" 2>&1 & pids+=($!)
DAKIYA_DATABASE_URL=$service_url DAKIYA_HTTP_PORT=0 DAKIYA_LOG_LEVEL=warning DAKIYA_SMTP_URL="smtp://127.0.0.1:$smtp_port" \
  DAKIYA_SMTP_TLS=off DAKIYA_RATING_URL="http://127.0.0.1:$portal_port/rate" "$BIN/email-adapter" >"$logs/email.log" 2>&1 & pids+=($!)
for port in $portal_port $appeals_port; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
done
mkdir -p "$OUT"
status=0
BASE="http://127.0.0.1:$portal_port" KEY="$key" DATABASE_URL="$url" OUT="$OUT" \
  "$VENV/bin/python" "$here/verification_page.py" || status=$?
BASE="http://127.0.0.1:$portal_port" APPEALS="http://127.0.0.1:$appeals_port" KEY="$key" OFFICER_KEY="$officer" \
  DATABASE_URL="$url" OUT="$OUT" MAIL="$mail" "$VENV/bin/python" "$here/desk_page.py" || status=$?
BASE="http://127.0.0.1:$portal_port" APPEALS="http://127.0.0.1:$appeals_port" KEY="$key" DATABASE_URL="$url" OUT="$OUT" \
  "$VENV/bin/python" "$here/dashboard_page.py" || status=$?
BASE="http://127.0.0.1:$portal_port" KEY="$key" DATABASE_URL="$url" OUT="$OUT" MAIL="$mail" \
  "$VENV/bin/python" "$here/rating_page.py" || status=$?
if grep -q '"level":"error"' "$logs"/*.log; then
  echo "== errors logged by the services:"; grep -h '"level":"error"' "$logs"/*.log | head -20; status=1
fi
exit $status
