#!/bin/sh
# First start of the compose PostgreSQL: the owner role (runs migrations, owns the tables) and
# the app role (the dashboard and sidecar; what it may do to each table is granted by the
# migrations, e.g. audit_event INSERT/SELECT only). Passwords come from the mounted secrets.
set -eu
owner_password=$(cat /run/secrets/owner_password)
app_password=$(cat /run/secrets/app_password)
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$owner_password" -v app_password="$app_password" <<'SQL'
CREATE ROLE tightrope_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE tightrope_app LOGIN PASSWORD :'app_password';
GRANT CONNECT ON DATABASE tightrope TO tightrope_owner, tightrope_app;
GRANT ALL ON SCHEMA public TO tightrope_owner;
GRANT USAGE ON SCHEMA public TO tightrope_app;
ALTER DEFAULT PRIVILEGES FOR ROLE tightrope_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tightrope_app;
ALTER DEFAULT PRIVILEGES FOR ROLE tightrope_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO tightrope_app;
SQL
