#!/usr/bin/env bash
# Sample activity for a demonstration instance (make run does it once): 220 income, caste and other certificate
# applications across six weeks in Pune and Yavatmal districts, sent through the public APIs exactly as a portal
# would: the citizen, the time limit started from the day the application became complete, and for most of them
# the outcome today (some rejected, some of those appealed). Every outcome really goes out (portal inbox, the
# WhatsApp simulator, the mail sink), so the dashboard and the desk show what the services did.
# Usage: PORTAL=http://127.0.0.1:8080 APPEALS=http://127.0.0.1:8083 KEY=<live key of REVENUE> docker/sample-activity.sh
set -euo pipefail
: "${PORTAL:?}" "${APPEALS:?}" "${KEY:?}"
auth=(-H "Authorization: Bearer $KEY" -H 'Content-Type: application/json')
call() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
services=(INCOME INCOME CASTE NCL SENIOR_CITIZEN SATBARA)
villages_HAVELI=(V-HAVELI-WAGHOLI V-HAVELI-LONIKAND V-HAVELI-KESNAND V-HAVELI-THEUR V-HAVELI-DONJE V-HAVELI-KHED-SHIVAPUR)
villages_MULSHI=(V-MULSHI-PAUD V-MULSHI-PIRANGUT V-MULSHI-BHUGAON V-MULSHI-LAVALE)
villages_YAVATMAL=(V-YAVATMAL-AKOLA-BAZAR V-YAVATMAL-JODMOHA V-YAVATMAL-KOLAMBI V-YAVATMAL-SAWAR)
villages_PUSAD=(V-PUSAD-BELORA V-PUSAD-KHARSHI V-PUSAD-GAUL V-PUSAD-SHELU)
offices=(HAVELI MULSHI YAVATMAL PUSAD BARAMATI INDAPUR KHED WANI DARWHA UMARKHED)
n=0 accepted=0 appealed=0
for office in "${offices[@]}"; do
  count=10
  case $office in HAVELI | MULSHI | YAVATMAL | PUSAD) count=40 ;; esac
  for i in $(seq 1 "$count"); do
    n=$((n + 1))
    id=$(printf 'SAMPLE-%s-%04d' "$office" "$i")
    user=$(printf 'sample-%04d' "$n")
    service=${services[$((n % ${#services[@]}))]}
    age=$(((n * 7) % 42 + 1))
    completed=$(date -d "-$age days" +%Y-%m-%dT10:30:00+05:30)
    if ((n % 2 == 0)); then
      citizen=$(printf '{"email": "%s@example.in", "mobile": "+9198%08d", "language": "mr", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal", "recorded_at": "%s"}]}' "$user" "$n" "$completed")
    else
      citizen=$(printf '{"email": "%s@example.in", "language": "%s"}' "$user" "$([ $((n % 3)) = 0 ] && echo en || echo mr)")
    fi
    call -X PUT "$PORTAL/v1/citizens/$user" "${auth[@]}" -d "$citizen" >/dev/null
    call -X PUT "$APPEALS/v1/applications/$id/clock" "${auth[@]}" \
      -d "{\"portal_user_id\": \"$user\", \"service_code\": \"$service\", \"office_code\": \"$office\", \"completed_at\": \"$completed\"}" >/dev/null
    # One in four is still pending (some of them past the time limit); the others are decided today.
    ((n % 4 == 0)) && continue
    village=""
    list="villages_$office[@]"
    villages=("${!list:-}")
    if [ -n "${villages[0]}" ] && ((n % 3 != 0)); then village=", \"village\": \"${villages[$((n % ${#villages[@]}))]}\""; fi
    if ((n % 6 == 1)); then
      outcome="{\"citizen\": \"$user\", \"decision\": \"rejected\", \"reasons\": [\"Income proof not attached\"], \"service\": \"$service\", \"office\": \"$office\"$village}"
    else
      outcome="{\"citizen\": \"$user\", \"decision\": \"approved\", \"service\": \"$service\", \"office\": \"$office\"$village}"
    fi
    status=$(call -X POST "$PORTAL/v1/applications/$id/outcome" "${auth[@]}" -H "Idempotency-Key: $id" -d "$outcome")
    [ "$status" = 202 ] || [ "$status" = 200 ] && accepted=$((accepted + 1))
  done
done
# The citizens appeal half of the rejections once they reached them.
sleep 3
n=0
for office in "${offices[@]}"; do
  count=10
  case $office in HAVELI | MULSHI | YAVATMAL | PUSAD) count=40 ;; esac
  for i in $(seq 1 "$count"); do
    n=$((n + 1))
    ((n % 6 == 1 && n % 4 != 0 && n % 12 == 1)) || continue
    id=$(printf 'SAMPLE-%s-%04d' "$office" "$i")
    status=$(call -X POST "$APPEALS/v1/applications/$id/appeals" "${auth[@]}" \
      -d '{"level": 1, "grounds": "The income proof was attached to the application."}')
    [ "$status" = 201 ] || [ "$status" = 200 ] && appealed=$((appealed + 1))
  done
done
echo "sample activity: $n applications, $accepted outcomes accepted, $appealed appeals filed"
