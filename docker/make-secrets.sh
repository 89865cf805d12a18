#!/usr/bin/env bash
# Makes the secrets docker/compose.yaml reads (compose secrets, mounted as files under /run/secrets and read by
# the services through DAKIYA_…_FILE), once: an existing file is kept, so running it again changes nothing.
# Replace the WhatsApp values with your app's before you point whatsapp-adapter at Meta (docs/whatsapp.md), and the
# TLS certificate with your own (docs/operations.md). The folder is in .gitignore and .dockerignore.
#   docker/make-secrets.sh [HOSTNAME]     (the self-signed certificate's name; localhost by default)
set -euo pipefail
cd "$(dirname "$0")"
host="${1:-localhost}"
mkdir -p secrets
chmod 700 secrets
random() { openssl rand -base64 "$1" | tr '+/' '-_' | tr -d '=\n'; }
make_secret() {  # NAME VALUE: written once
    [ -s "secrets/$1" ] || { printf '%s\n' "$2" > "secrets/$1"; chmod 600 "secrets/$1"; echo "made docker/secrets/$1"; }
}
make_secret db-owner-password "$(random 24)"
make_secret db-service-password "$(random 24)"
make_secret database-owner-url \
    "postgresql://dakiya_owner:$(tr -d '\n' < secrets/db-owner-password)@postgres:5432/dakiya"
make_secret database-url "postgresql://dakiya:$(tr -d '\n' < secrets/db-service-password)@postgres:5432/dakiya"
make_secret link-signing-key "$(random 32)"
make_secret log-signing-key "$(random 32)"
make_secret whatsapp-access-token "$(random 24)"
make_secret whatsapp-app-secret "$(random 24)"
make_secret whatsapp-verify-token "$(random 18)"
if [ ! -s secrets/tls.crt ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$host" -addext "subjectAltName=DNS:$host" \
        -keyout secrets/tls.key -out secrets/tls.crt 2>/dev/null
    chmod 600 secrets/tls.key
    echo "made docker/secrets/tls.crt and tls.key (self-signed for $host)"
fi
# The containers run as users of their own (dakiya 10001, postgres 999, nginx): compose mounts these files with
# their modes, so they must be readable by those users. The folder itself stays closed to other local users.
chmod 644 secrets/*
