#!/usr/bin/env bash
# The one-shot "setup" service of docker/compose.yaml, after the migrations: imports the sample catalogue and
# office hierarchy, and creates a first department with a test API key, once. The key's secret is written to the
# setup volume, never to the log; this prints how to read it.
set -euo pipefail
dakiya-admin catalogue import --sample
dakiya-admin offices import --sample
department="${DAKIYA_FIRST_DEPARTMENT:-REVENUE}"
keyfile="${DAKIYA_SETUP_DIR:-/var/lib/dakiya/setup}/first-api-key"
how="read it with: docker compose -f docker/compose.yaml run --rm --no-deps --entrypoint cat setup $keyfile"
if [ -s "$keyfile" ]; then
    echo "the first API key was made before; $how"
    exit 0
fi
dakiya-admin department add "$department" "${DAKIYA_FIRST_DEPARTMENT_NAME:-Revenue and Forest Department}"
dakiya-admin key create --department "$department" --label first-key --kind test --scope citizens \
    | awk '/^secret/ {print $NF}' > "$keyfile.new"
[ -s "$keyfile.new" ] || { echo "setup: the key was not created" >&2; exit 1; }
mv "$keyfile.new" "$keyfile"
echo "department $department has a test API key (deliveries go to the simulator and the mail sink); $how"
