# One image for every Tightrope process (docs/deploy.md):
#   dashboard (the default command)  python -m dashboard --server.address 0.0.0.0
#   sidecar                          python -m jobs run
#   REST API                         python -m api   (TIGHTROPE_API_HOST:TIGHTROPE_API_PORT)
#   schema migration (one-shot job)  python -m data migrate
# The app code is root-owned and read-only to the app user; the only writable place is the
# /data volume (SQLite database and its lock files, when no PostgreSQL URL is given).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/tmp \
    TIGHTROPE_LOG_JSON=true \
    TIGHTROPE_DATABASE_URL=sqlite:////data/tightrope.db \
    TIGHTROPE_METRICS_ADDRESS=0.0.0.0 \
    TIGHTROPE_METRICS_PORT=9464 \
    TIGHTROPE_API_HOST=0.0.0.0 \
    TIGHTROPE_API_PORT=8502 \
    STREAMLIT_SERVER_PORT=8501 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none
WORKDIR /app

# git: apply's GitOps hand-off (decision 023) pushes a branch with the git binary, so an
# operator's ssh agent or credential helper works as it does for them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent tightrope
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# Root-owned and not writable by uid 10001: a compromised process cannot change the code.
COPY . .
RUN install -d -o 10001 -g 10001 -m 0750 /data
VOLUME /data

USER 10001:10001
EXPOSE 8501 8502 9464
# No HEALTHCHECK here: the dashboard (8501 /_stcore/health), the API (8502 /readyz) and the
# sidecar (9464 /readyz) are different processes of this image, so each deployment declares its own (docker-compose.yml,
# deploy/kubernetes/).
CMD ["python", "-m", "dashboard", "--server.address", "0.0.0.0"]
