# civicnet's image, in three stages:
#   build  uv installs the locked dependencies into a virtualenv (/opt/venv) and
#          collectstatic writes the hashed static files;
#   front  nginx with civicnet's site config and the same static files, so the front proxy
#          always serves the static files of the code it stands in front of;
#   app    (last, so the default target) the virtualenv and the code on a clean python base,
#          run as an unprivileged user: web, worker, beat and the migrate job all use it.
# Secrets come from the environment at run time (docker-compose.yml), never from the image.

FROM python:3.12-slim AS build
ENV PYTHONDONTWRITEBYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir --root-user-action=ignore "uv==0.13.9"
WORKDIR /app
# Dependencies first: this layer is reused until uv.lock changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --python /usr/local/bin/python3.12
COPY . .
RUN DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=build STATIC_ROOT=/app/staticfiles \
    /opt/venv/bin/python manage.py collectstatic --noinput --verbosity 0

FROM nginx:1.27 AS front
# No /srv/www/media or /srv/private in this image: docker would copy a root-owned empty
# folder onto the still-empty shared volume, and the app could no longer write to it.
RUN rm -f /etc/nginx/conf.d/default.conf
COPY deploy/nginx.conf.template /etc/nginx/templates/civicnet.conf.template
COPY --from=build /app/staticfiles /srv/www/static
ENV CIVICNET_LISTEN=80 \
    CIVICNET_UPSTREAM_SERVERS="server web:8000 max_fails=1 fail_timeout=5s;" \
    CIVICNET_PUBLIC_ROOT=/srv/www \
    CIVICNET_PRIVATE_ROOT=/srv/private

FROM python:3.12-slim AS app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=civicnet.settings \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/srv/www/media \
    PRIVATE_MEDIA_ROOT=/srv/private
# WeasyPrint (certificates, transcripts) needs Pango and a font.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 civicnet \
 && useradd --system --uid 10001 --gid civicnet --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin civicnet \
 && mkdir -p /srv/www/media /srv/private \
 && chown civicnet:civicnet /srv/www/media /srv/private
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER civicnet
EXPOSE 8000
CMD ["gunicorn", "civicnet.wsgi", "--config", "deploy/gunicorn.conf.py"]
