#!/usr/bin/env bash
# Runs once, when the postgres container initialises its data directory: the services' login role "dakiya", a
# member of dakiya_service (whose privileges the migrations grant: the domain tables, never the log's updates or
# deletes). The owner (POSTGRES_USER, dakiya_owner) runs the migrations and dakiya-admin.
set -euo pipefail
password="$(tr -d '\n' < /run/secrets/db-service-password)"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v password="$password" <<'SQL'
DO $$ BEGIN CREATE ROLE dakiya_service NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE ROLE dakiya LOGIN IN ROLE dakiya_service PASSWORD :'password';
SQL
