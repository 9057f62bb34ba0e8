# syntax=docker/dockerfile:1
# The portal's production image (README "Production shape"): gunicorn with production settings,
# dependencies installed at BUILD from uv.lock with the pinned uv, static files collected at build,
# a non-root user, and a HEALTHCHECK on /healthz. docker-compose.yml builds it for web, worker,
# beat and the one-shot migrate; nothing is installed when a container starts.
#   docker build -t csp-partner-portal .
# The base image is an exact version; to pin its digest too, read it from the registry
# (`docker buildx imagetools inspect python:3.12.12-slim-bookworm`) and append `@sha256:<digest>`.

ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The same uv as the Makefile's UV_VERSION.
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
# Dependencies first (a layer that changes only with uv.lock), then the application.
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# The key below exists only in this RUN: collectstatic needs the production settings to load.
RUN DJANGO_SETTINGS_MODULE=portal.settings.production \
    DJANGO_SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign \
    .venv/bin/python manage.py collectstatic --noinput \
 && rm -rf var/broker var/*.sqlite3*

FROM ${PYTHON_IMAGE}
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production \
    PORT=8000
RUN groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home portal
WORKDIR /app
# Code and the virtualenv stay root-owned (read-only to the app); only var/ is writable:
# uploaded documents (var/private, a volume in compose) and beat's schedule.
COPY --from=build /app /app
RUN mkdir -p /app/var/private \
 && chown portal:portal /app/var /app/var/private
USER portal
EXPOSE 8000
# Liveness: /healthz answers while the process does, whatever the database, cache or broker do
# (a restart would cure none of those; /readyz reports them to monitoring, README).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py"]
