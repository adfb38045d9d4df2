"""The deployment files: docker compose brings the whole product with health checks, secrets
from the env file, named volumes, a gpu profile; the Dockerfile builds CPU and CUDA images.
Docker has no engine here, so the compose file is checked for structure (and with
`docker compose config` where docker is installed)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from helpbot.cli import app
from tests.conftest import REPO

COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / "deploy" / "helpbot.env.example"
PRODUCT = {"db", "weaviate", "bot-1", "bot-2", "slack-lb", "scheduler", "console", "worker"}
GPU = {"gpu-worker", "vllm"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())  # resolves the x-helpbot anchors and merges
    assert isinstance(loaded, dict)
    return loaded


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def test_every_part_of_the_product_is_a_service_and_the_gpu_ones_are_a_profile(
    compose: dict[str, Any],
) -> None:
    found = services(compose)
    assert set(found) == PRODUCT | GPU
    assert {n for n, s in found.items() if "gpu" in s.get("profiles", [])} == GPU
    for name in GPU:
        [device] = found[name]["deploy"]["resources"]["reservations"]["devices"]
        assert device["capabilities"] == ["gpu"]


def test_every_service_has_a_health_check_and_restarts(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), name
        assert service.get("restart") == "unless-stopped", name


def test_two_bot_replicas_in_http_mode_behind_one_port(compose: dict[str, Any]) -> None:
    found = services(compose)
    for name in ("bot-1", "bot-2"):
        command = found[name]["command"]
        assert command[:3] == ["helpbot", "bot", "--http"], name
        assert "3000/healthz" in " ".join(found[name]["healthcheck"]["test"])
    assert [p for s in ("bot-1", "bot-2") for p in found[s].get("ports", [])] == []
    [public] = found["slack-lb"]["ports"]
    assert public.endswith(":8080")
    nginx = (REPO / "deploy" / "nginx.conf").read_text()
    assert set(re.findall(r"server (bot-\d):3000", nginx)) == {"bot-1", "bot-2"}
    assert "client_max_body_size 1m" in nginx


def test_vllm_serves_the_base_model_with_lora(compose: dict[str, Any]) -> None:
    vllm = services(compose)["vllm"]
    assert "--enable-lora" in vllm["command"]
    assert vllm["environment"]["VLLM_ALLOW_RUNTIME_LORA_UPDATING"] == "True"
    assert "helpbot_data:/data:ro" in vllm["volumes"]  # the adapters the workers trained


def test_data_in_named_volumes_and_secrets_only_from_the_env_file(
    compose: dict[str, Any],
) -> None:
    declared = set(compose["volumes"])
    for name, service in services(compose).items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source in declared or source.startswith("./deploy/"), (name, volume)
        environment = service.get("environment", {})
        for key, value in environment.items():
            secretish = re.search(r"PASSWORD|TOKEN|SECRET|API_KEY", key)
            assert not secretish or not value, (name, key)
        if name not in ("weaviate", "slack-lb"):
            assert service["env_file"] == ["deploy/helpbot.env"], name
    example = ENV_EXAMPLE.read_text()
    for variable in ("POSTGRES_PASSWORD", "HELPBOT_DATABASE_URL", "HELPBOT_SLACK_SIGNING_SECRET"):
        assert f"{variable}=" in example
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".env", "*.env", ".venv", "data/", ".git"} <= set(ignored)


def test_the_commands_name_real_entry_points(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        command = service.get("command", [])
        if command[:2] == ["python", "-m"]:
            modules = [command[2]] + ([command[3]] if command[2] == "helpbot.with_health" else [])
            for module in modules:
                assert importlib.util.find_spec(module) is not None, (name, module)
        elif command[:1] == ["helpbot"]:
            result = CliRunner().invoke(app, [*command[1:2], "--help"])
            assert result.exit_code == 0, (name, result.output)


def test_the_dockerfile_builds_cpu_and_cuda_and_runs_something_useful() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "ARG VARIANT=cpu" in dockerfile
    assert re.search(r"^\s*cpu\)", dockerfile, re.M) and re.search(r"^\s*cuda\)", dockerfile, re.M)
    assert "USER helpbot" in dockerfile and "HEALTHCHECK" in dockerfile
    [cmd] = re.findall(r"^CMD (.+)$", dockerfile, re.M)
    assert yaml.safe_load(cmd) == ["python", "-m", "helpbot.with_health", "helpbot.cli", "up"]
    assert 'pip install ".[postgres]"' in dockerfile


def _has_compose() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _has_compose(), reason="docker compose is not installed here")
def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    shutil.copytree(REPO / "deploy", tmp_path / "deploy")
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, tmp_path / "deploy" / "helpbot.env")
    result = subprocess.run(
        ["docker", "compose", "--profile", "gpu", "config", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
