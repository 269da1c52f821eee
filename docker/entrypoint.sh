#!/bin/sh
# Container entrypoint: optionally apply migrations, then run the given command
# (gunicorn by default; `celery -A workshop worker|beat` for the other services).
#
#   DJANGO_MIGRATE=1  run `manage.py migrate --noinput` first. Handy for a single-container
#                     deployment; with several replicas prefer one migration job (compose
#                     uses a one-shot `migrate` service) so that they do not race.
set -eu

if [ "${DJANGO_MIGRATE:-0}" = "1" ]; then
    echo "entrypoint: applying database migrations" >&2
    python /app/manage.py migrate --noinput
fi

exec "$@"
