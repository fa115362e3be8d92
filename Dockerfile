# journey: probes, load rehearsals (master or worker) and the demo shop in one image.
# Debian + Debian's chromium (Playwright never downloads a browser), the package from source.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium tini \
    && rm -rf /var/lib/apt/lists/*

ENV JOURNEY_BROWSER=/usr/bin/chromium \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /opt/journey
COPY pyproject.toml README.md ./
COPY runner ./runner
COPY journeys ./journeys
COPY loadprofiles ./loadprofiles
RUN pip install --no-cache-dir .

# Locust's master/worker protocol (load), the demo shop, and `serve` metrics.
EXPOSE 5557 8000 9464
# tini forwards SIGTERM, so a stopped pod still writes its outputs (exit 130).
ENTRYPOINT ["/usr/bin/tini", "--", "journey"]
CMD ["--help"]
