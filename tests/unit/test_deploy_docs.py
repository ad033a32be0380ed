"""The deployment files and the operator docs say only what the code does: every setting they
name exists, every command they run parses, every route they name is served, and the
Kubernetes probes are the liveness and readiness routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from entrypoints.cli.main import _parser
from entrypoints.http.app import make_litestar
from entrypoints.settings import Settings
from entrypoints.settings.node_env import NODE_VARIABLES
from tests.support.node import node

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PAGES = [
    ROOT / "docs" / name
    for name in (
        "README.md",
        "deployment.md",
        "redis.md",
        "monitoring.md",
        "migration.md",
        "troubleshooting.md",
        "adr/0029-playground.md",
    )
]
# names that are no setting of ours but are real: Node-only metric-era names are in NODE_VARIABLES
OTHER_NAMES = {"ENV_FILE", "PROMETHEUS_MULTIPROC_DIR", "NODE_ENV", "MAX_SOURCE_BYTES"}
# being added on the workers branch; the docs name it without options
PENDING_COMMANDS: set[str] = set()  # commands docs may name before they exist
NAME = re.compile(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(_\*)?`")
ROUTE = re.compile(r"`(?:GET |POST )?(/(?:health|metrics|admin|monitoring|playground)[a-z/_.-]*)`")
KNOWN = set(Settings.model_fields) | set(NODE_VARIABLES) | OTHER_NAMES
SOURCE = "\n".join(path.read_text() for path in (ROOT / "src").rglob("*.py"))


def known(name: str, family: bool) -> bool:
    if family:
        return any(known_name.startswith(name + "_") for known_name in KNOWN)
    # a setting, or an error code the service answers (a string literal in src)
    return name in KNOWN or f'"{name}"' in SOURCE


def manifests() -> Iterator[dict[str, object]]:
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        yield from (document for document in yaml.safe_load_all(path.read_text()) if document)


def containers() -> Iterator[dict[str, object]]:
    for manifest in manifests():
        spec = manifest.get("spec", {})
        assert isinstance(spec, dict)
        template = spec.get("jobTemplate", {}).get("spec", spec).get("template", {})
        for container in template.get("spec", {}).get("containers", []):
            if "media-stream" in container["image"]:
                yield container


def compose() -> dict[str, dict[str, object]]:
    services: dict[str, dict[str, object]] = yaml.safe_load(
        (DEPLOY / "docker-compose.yml").read_text()
    )["services"]
    return {name: service for name, service in services.items() if "build" in service}


def served_routes() -> set[str]:
    return {route.path for route in make_litestar(node()).routes}


def check_command(args: list[str]) -> None:
    assert args[0] == "media-stream", args
    if args[1] in PENDING_COMMANDS:
        assert args[2:] == [], "the pending worker command is given no options"
        return
    _parser().parse_args(args[1:])  # exits (SystemExit) on an unknown command or option


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_every_setting_a_page_names_exists(page: Path) -> None:
    names = NAME.findall(page.read_text())

    assert [name for name, family in names if not known(name, bool(family))] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_every_route_a_page_names_is_served(page: Path) -> None:
    routes = served_routes()
    named = {path for path in ROUTE.findall(page.read_text()) if not path.endswith(("/", "*"))}

    assert [path for path in named if path not in routes] == []


def test_the_settings_in_the_deployment_files_exist() -> None:
    config_map = next(m for m in manifests() if m["kind"] == "ConfigMap")
    secret = next(m for m in manifests() if m["kind"] == "Secret")
    names = {*config_map["data"], *secret["stringData"]}  # type: ignore[index]
    for service in compose().values():
        names |= set(service.get("environment", {}))  # type: ignore[arg-type]
    for line in (DEPLOY / "example.env").read_text().splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("=", 1)[0])

    assert "REDIS_URL" in names
    assert "ACCESS_INDEX_URL" in names
    assert sorted(names - KNOWN) == []


def test_every_command_the_deployment_runs_parses() -> None:
    commands = [list(c["args"]) for c in containers()]  # type: ignore[call-overload]
    commands += [
        list(service["command"])  # type: ignore[call-overload]
        for service in compose().values()
        if "entrypoint" not in service
    ]

    assert ["media-stream", "serve"] in commands
    assert ["media-stream", "db", "upgrade"] in commands
    assert ["media-stream", "storage", "cleanup"] in commands
    for args in commands:
        check_command(args)


def test_the_web_pods_probe_liveness_and_readiness() -> None:
    web = next(c for c in containers() if c["args"] == ["media-stream", "serve"])
    routes = served_routes()

    assert web["livenessProbe"]["httpGet"]["path"] == "/health/live"  # type: ignore[index]
    assert web["readinessProbe"]["httpGet"]["path"] == "/health/ready"  # type: ignore[index]
    assert web["startupProbe"]["httpGet"]["path"] == "/health/live"  # type: ignore[index]
    assert {"/health/live", "/health/ready"} <= routes
    port = web["ports"][0]["containerPort"]  # type: ignore[index]
    assert port == Settings().PORT


def test_prometheus_sends_the_internal_secret_header() -> None:
    for path in (DEPLOY / "prometheus.yml", DEPLOY / "kubernetes" / "prometheus-scrape.yaml"):
        jobs = yaml.safe_load(path.read_text())["scrape_configs"]
        job = next(job for job in jobs if job["job_name"] == "media-stream")
        assert job["metrics_path"] == "/metrics"
        assert "X-Internal-Secret" in job["http_headers"]
