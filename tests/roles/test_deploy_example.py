"""The multi-node example in ``deploy/`` cannot rot: ``deploy/compose.yaml`` parses, every
Jinghang service's settings file exists and loads with the real ``jinghang serve`` loader (with
the environment compose gives it), and the roles agree with each other: three NATS nodes routed
to each other in one cluster with JetStream, link workers with links and no HTTP, API nodes
with no links and PostgreSQL, the proxy forwarding (WebSockets included) to every API node.
Docker is not needed: nothing is started."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from jinghang.api.serve_settings import ServeSettings, load_serve_settings
from tests.roles.deployment import REPO

DEPLOY = REPO / "deploy"
_VAR_RE = re.compile(r"\$\{([A-Z0-9_]+)(:?[?-][^}]*)?\}")
SECRET = "compose-test-secret-0123456789abcdef"


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))


def _services() -> dict[str, dict[str, Any]]:
    return dict(_compose()["services"])


def _jinghang_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in _services().items()
            if "serve" in (s.get("command") or [])}


def _host_file(service: dict[str, Any], container_path: str) -> Path:
    """The file in deploy/ mounted at ``container_path``."""
    for volume in service.get("volumes", []):
        source, _, rest = str(volume).partition(":")
        if rest.split(":")[0] == container_path and source.startswith("./"):
            return DEPLOY / source[2:]
    raise AssertionError(f"nothing is mounted at {container_path}")


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """The service's environment, ``${VAR...}`` filled in as an operator would."""
    values = {"JINGHANG_SECRET_KEY": SECRET, "POSTGRES_PASSWORD": "pw"}
    env = service.get("environment") or {}
    return {key: _VAR_RE.sub(lambda m: values[m.group(1)], str(value))
            for key, value in env.items()}


def _settings(name: str, monkeypatch: pytest.MonkeyPatch) -> ServeSettings:
    service = _jinghang_services()[name]
    command = list(service["command"])
    config = _host_file(service, command[command.index("--config") + 1])
    assert config.is_file(), config
    for key in [k for k in os.environ if k.startswith("JINGHANG_")]:
        monkeypatch.delenv(key)
    for key, value in _environment(service).items():
        if key.startswith("JINGHANG_"):
            field = key.removeprefix("JINGHANG_").lower()
            assert field in ServeSettings.model_fields, f"{name}: {key} is no setting"
            monkeypatch.setenv(key, value)
    return load_serve_settings(str(config))


def test_the_example_has_every_part_of_a_multi_node_deployment() -> None:
    services = _services()
    for name, service in services.items():
        for needed in service.get("depends_on", []):
            assert needed in services, f"{name} depends on unknown {needed}"
    assert {"nats-1", "nats-2", "nats-3", "postgres", "proxy"} <= set(services)
    roles = [s["command"][s["command"].index("--config") + 1]
             for s in _jinghang_services().values()]
    assert len(roles) == len(set(roles)) == 4


def test_three_nats_nodes_route_to_each_other_with_jetstream() -> None:
    nats = {name: s for name, s in _services().items() if str(s.get("image", "")).startswith(
        "nats:")}
    assert len(nats) == 3
    clusters = set()
    for name, service in nats.items():
        command = [str(c) for c in service["command"]]
        assert "-js" in command and "-sd" in command, name
        assert command[command.index("-n") + 1] == name
        clusters.add(command[command.index("--cluster_name") + 1])
        port = command[command.index("--cluster") + 1].rsplit(":", 1)[1]
        routes = set(command[command.index("--routes") + 1].split(","))
        assert routes == {f"nats://{other}:{port}" for other in nats if other != name}, name
    assert len(clusters) == 1


def test_every_role_loads_its_settings_and_the_roles_agree(
        monkeypatch: pytest.MonkeyPatch) -> None:
    services = _services()
    nats_urls = {f"nats://{n}:4222" for n, s in services.items()
                 if str(s.get("image", "")).startswith("nats:")}
    names = set()
    by_role: dict[str, list[str]] = {"link": [], "api": []}
    for name, service in _jinghang_services().items():
        settings = _settings(name, monkeypatch)
        assert settings.role in by_role, (name, settings.role)
        by_role[settings.role].append(name)
        assert settings.worker_name == name
        names.add(settings.worker_name)
        assert set(settings.nats_urls) == nats_urls, name
        assert settings.nats_replicas == 3, name
        if settings.role == "link":
            assert settings.links, f"{name}: a link worker needs links"
            assert "ports" not in service and "expose" not in service, f"{name} serves no HTTP"
        else:
            assert settings.links == [], f"{name}: an API node opens no links"
            assert settings.database_url.startswith("postgresql://")
            assert "@postgres:5432/" in settings.database_url
            assert settings.secret_key == SECRET and settings.port == 8000
            assert settings.host == "0.0.0.0"
            settings.check_for_serving()
    assert len(by_role["link"]) == 2 and len(by_role["api"]) == 2
    assert len(names) == 4
    links = {name: _settings(name, monkeypatch).links for name in by_role["link"]}
    assert len({tuple(v) for v in links.values()}) == 1, "both workers follow the same links"


def test_the_proxy_forwards_to_every_api_node_and_passes_websockets() -> None:
    proxy = _services()["proxy"]
    conf = _host_file(proxy, "/etc/nginx/nginx.conf").read_text()
    upstream = re.search(r"upstream\s+(\w+)\s*\{([^}]*)\}", conf)
    assert upstream is not None
    servers = set(re.findall(r"server\s+([\w.-]+:\d+)", upstream.group(2)))
    api = {f"{name}:8000" for name, s in _jinghang_services().items()
           if "expose" in s}
    assert servers == api and len(api) == 2
    assert f"proxy_pass http://{upstream.group(1)};" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert re.search(r"proxy_set_header Connection \$\w+;", conf)
    assert "proxy_http_version 1.1;" in conf
