#!/usr/bin/env bash
# `make prod`: docker-compose.yml's processes on this machine's PostgreSQL and Redis (README
# "Production shape"): migrate, collectstatic, then gunicorn with production settings, a Celery
# worker and Celery beat until Ctrl-C. Every variable below can be set in the environment.
# Default: local HTTP mode on http://127.0.0.1:$PORT so a browser can sign in without TLS;
# PORTAL_LOCAL_HTTP=0 with your DJANGO_ALLOWED_HOSTS/SITE_URL serves HTTPS behind a proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

export DJANGO_SETTINGS_MODULE=portal.settings.production
export PORT="${PORT:-8000}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portal}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-$REDIS_URL}"
export CACHE_URL="${CACHE_URL:-redis://127.0.0.1:6379/1}"
export PORTAL_LOCAL_HTTP="${PORTAL_LOCAL_HTTP:-1}"
export DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
# No SMTP server on a dev machine: the worker prints each email unless EMAIL_URL names one.
export EMAIL_URL="${EMAIL_URL:-consolemail://}"
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  # A random key made once for this checkout (var/ is git-ignored), never a fixed fallback.
  mkdir -p var
  if [ ! -s var/prod-secret-key ]; then
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >var/prod-secret-key)
  fi
  DJANGO_SECRET_KEY="$(cat var/prod-secret-key)"
fi
export DJANGO_SECRET_KEY

# Create the PostgreSQL database if it does not exist yet.
"$PY" - <<'PYEOF'
import os

import environ
import psycopg
from psycopg import sql

db = environ.Env.db_url_config(os.environ["DATABASE_URL"])
if "postgresql" in db["ENGINE"]:
    params = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
        if not found:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            print(f"Created database {db['NAME']}.")
PYEOF
"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput -v0
if [ "${SEED_DEMO:-0}" = "1" ]; then
  "$PY" manage.py seed_demo
fi
# Readiness (README "Production shape"): 503 until the worker and beat first beat (~15 s).
echo "Readiness: http://${HOST:-127.0.0.1}:$PORT/readyz"
exec "$PY" manage.py runprod --port "$PORT"
