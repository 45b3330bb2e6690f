# The production image: web, worker and beat all run from it (docker-compose.yml).
# Configuration comes only from the environment at run time; the image holds no secrets.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ITSM_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app
RUN useradd --system --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin itsm

# Dependencies first, so that a code change does not reinstall them (all are wheels).
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Hashed, compressed static files for WhiteNoise. Production mode needs some SECRET_KEY to
# start; this one exists only during this build step and is not stored in the image.
RUN DJANGO_DEBUG=0 SECRET_KEY=collectstatic-only-not-a-secret ITSM_VAR_DIR=/tmp/build-var \
        python manage.py collectstatic --no-input \
    && rm -rf /tmp/build-var \
    && mkdir -p /app/var/media \
    && chown -R itsm:itsm /app/var

# The code is owned by root and read-only for the application; only var/ is writable.
USER itsm
EXPOSE 8000
CMD ["gunicorn", "itsm.wsgi"]
