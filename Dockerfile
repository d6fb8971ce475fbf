# Tandem: a slim image that runs `python app.py` (serve) as a non-root user.
# The application code belongs to root and is read-only for that user; only /data
# (a volume: the embedded SQLite database) is writable.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000

# Dependencies first, in their own layer: rebuilt only when requirements change.
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt \
    && useradd --create-home --uid 10001 tandem \
    && install -d -o 10001 -g 10001 -m 0750 /data

WORKDIR /app
# Owned by root (COPY's default), so the app user cannot change its own code.
COPY . .
# The embedded SQLite database lives on a volume; use PostgreSQL (compose.yaml) to scale out.
ENV DATABASE_URL=sqlite:////data/tandem.db
VOLUME ["/data"]
USER 10001

EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

CMD ["python", "app.py"]
