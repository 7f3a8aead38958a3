# One shipbot replica. Build: docker build -t shipbot .   Run: see docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY shipbot ./shipbot
COPY data ./data
RUN pip install --no-cache-dir '.[postgres]'
# Fewer malloc arenas: the store threads otherwise each reserve their own.
ENV MALLOC_ARENA_MAX=2 PYTHONUNBUFFERED=1
USER nobody
EXPOSE 3000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=3)"
CMD ["shipbot", "run", "--host", "0.0.0.0", "--port", "3000"]
