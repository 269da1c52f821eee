# syntax=docker/dockerfile:1
#
# Production image for the paper-review system: gunicorn serves Django (static files via
# WhiteNoise); the same image runs the Celery worker and beat (see docker-compose.yml).
#
#   docker build -t workshop .
#   docker run --rm -p 8000:8000 -e DJANGO_SECRET_KEY=... -e DATABASE_URL=... workshop

ARG PYTHON_IMAGE=python:3.11-slim

# --- Stage 1: build a self-contained virtualenv ---------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Dependencies first, from pyproject.toml alone, so that code edits do not reinstall numpy,
# scipy, ortools & co. (setuptools finds no packages yet and builds an empty distribution.)
COPY pyproject.toml ./
RUN pip install --no-cache-dir --upgrade pip \
 && pip install --no-cache-dir .
# Then the project itself.
COPY workshop ./workshop
COPY submissions ./submissions
COPY reviews ./reviews
RUN pip install --no-cache-dir --no-deps --force-reinstall .

# --- Stage 2: runtime -----------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# PYTHONPATH: the checkout in /app wins over the copy installed in site-packages, so BASE_DIR
# (and with it templates/, static/ and staticfiles/) resolves to /app for gunicorn and Celery.
# WEB_CONCURRENCY: gunicorn's default worker count; override per host (about 2 x CPUs + 1).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=workshop.settings \
    MEDIA_ROOT=/app/media \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Code stays root-owned (read-only for the app user); only MEDIA_ROOT is writable. A named
# volume mounted on /app/media starts out with this directory's ownership.
COPY . /app
RUN chmod 0755 /app/docker/entrypoint.sh \
 && mkdir -p /app/media \
 && chown app:app /app/media \
 && DJANGO_SECRET_KEY=build-time-dummy-key-for-collectstatic-only \
    DJANGO_DEBUG=False \
    python manage.py collectstatic --noinput

USER app:app

EXPOSE 8000

# /healthz checks the database. The request carries an allowed Host (first entry of
# DJANGO_ALLOWED_HOSTS) and X-Forwarded-Proto: https, so that neither ALLOWED_HOSTS nor
# SECURE_SSL_REDIRECT turns the probe into a 400 or a redirect. urllib raises on non-2xx.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=8)"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
# gthread workers: WEB_CONCURRENCY processes x 4 threads. Timeout leaves room for PDF uploads
# (parsing itself runs in Celery). Access and error logs go to stdout/stderr.
CMD ["gunicorn", "workshop.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--worker-class", "gthread", \
     "--threads", "4", \
     "--timeout", "60", \
     "--graceful-timeout", "30", \
     "--keep-alive", "5", \
     "--max-requests", "1000", \
     "--max-requests-jitter", "100", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-", \
     "--error-logfile", "-"]
