# journey: one-shot probes, scheduled probes (`serve`), load rehearsals (master or worker) and
# the demo shop, in one image: Debian, Debian's chromium (Playwright never downloads a
# browser), the package installed from source, a non-root user, tini as PID 1.
#
#   docker build -t journey:latest .
#   docker run --rm journey:latest run journeys --target https://shop.example
#   docker run --rm -p 9464:9464 -v journey-data:/var/lib/journey journey:latest serve journeys \
#       --target https://shop.example --host 0.0.0.0 --db /var/lib/journey/serve.db
#
# Outputs go to /reports (reports/ in WORKDIR points there). A host folder mounted there must
# be writable by uid 10001 (`-v "$PWD/reports:/reports"` after `chown 10001 reports`), or run
# as your own uid (`--user "$(id -u):$(id -g)"`); named volumes take the image's owner.
#
# Kubernetes: deploy/kubernetes/ and docs/operations.md#kubernetes. There is no Docker engine
# where the tests run: tests/deploy/test_image.py runs what this file runs for our package
# (the install from the files the COPY lines name, the console script, the shipped journeys
# and profiles found from WORKDIR) outside Docker.
FROM python:3.11-slim-bookworm

# Shared memory: Docker and Kubernetes give a container a 64 MiB /dev/shm, too small for
# Chromium. Playwright starts every Chromium with --disable-dev-shm-usage (one of its default
# switches; runner/engines/chromium.py adds flags and drops none of Playwright's), so Chromium
# keeps its shared memory in /tmp instead, and Debian's /etc/chromium.d/dev-shm adds the same
# flag whenever /dev/shm has less than 3.8 GB free. tests/deploy/test_image.py reads the flag
# off a Chromium that journey launched. Nothing here depends on --shm-size.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium tini \
    && rm -rf /var/lib/apt/lists/*

# A fixed uid and gid (10001), so Kubernetes' runAsUser and fsGroup can name them. It owns
# /var/lib/journey (its home, and serve's SQLite history: mount a volume there) and /reports
# (where outputs land: /opt/journey/reports points there, so the default
# `reports/<timestamp>-<command>/` and `reports/latest` are written under it).
RUN groupadd --system --gid 10001 journey \
    && useradd --system --uid 10001 --gid journey --home-dir /var/lib/journey \
        --no-create-home --shell /usr/sbin/nologin journey \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/journey /reports

ENV JOURNEY_BROWSER=/usr/bin/chromium \
    HOME=/var/lib/journey \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# Installed from the source alone (pip builds the wheel), which is then removed: the console
# script imports the installed copy, never a stray source tree beside it.
COPY pyproject.toml README.md /tmp/journey-src/
COPY runner /tmp/journey-src/runner
RUN pip install --no-cache-dir /tmp/journey-src && rm -rf /tmp/journey-src

# The shipped journeys and load profiles, found as `journeys` and `flash-sale` from WORKDIR.
# Mount or bake your own over /opt/journey/journeys (docs/operations.md#kubernetes).
WORKDIR /opt/journey
COPY journeys ./journeys
COPY loadprofiles ./loadprofiles
RUN ln -s /reports /opt/journey/reports

USER 10001:10001

# 9464: `serve`'s /metrics, /healthz and status page. 5557: Locust's master/worker protocol
# (`load --master`). 8000: the demo shop.
EXPOSE 9464 5557 8000
# tini as PID 1: it forwards SIGTERM and SIGHUP to journey (serve reloads on SIGHUP; a stopped
# run still writes its outputs, exit 130) and reaps the Chromium processes left to it.
# Kubernetes checks serve with probes on /healthz: no HEALTHCHECK here.
ENTRYPOINT ["/usr/bin/tini", "--", "journey"]
CMD ["--help"]
