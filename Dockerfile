# Tightrope dashboard image (the sidecar runs from the same image with `python -m jobs`).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TIGHTROPE_LOG_JSON=true
WORKDIR /app

RUN useradd --create-home --uid 10001 tightrope
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY --chown=tightrope:tightrope . .
USER tightrope
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health').status != 200)"

# Migrate (and seed the demo fleet on an empty database) at container start, then serve.
CMD ["sh", "-c", "python -m data bootstrap && exec python -m streamlit run dashboard/streamlit_app.py --server.address 0.0.0.0 --server.port 8501"]
