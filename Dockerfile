# One shipbot replica. Build: docker build -t shipbot .   Run: see docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY adapters ./adapters
COPY shipbot ./shipbot
COPY data ./data
# Every dependency at the version the suite last passed with (constraints.txt).
RUN pip install --no-cache-dir -c constraints.txt '.[postgres]'
# Fewer malloc arenas: the store threads otherwise each reserve their own.
ENV MALLOC_ARENA_MAX=2 PYTHONUNBUFFERED=1
USER nobody
EXPOSE 3000
# Every mode serves /healthz on --port: Slack's HTTP endpoint, or a health-only listener for
# Discord-only and Socket Mode replicas (tests/test_image.py runs these lines outside Docker).
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=3)"
CMD ["shipbot", "run", "--host", "0.0.0.0", "--port", "3000"]
