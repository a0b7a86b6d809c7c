"""docker-compose.yml, the Dockerfile and the app container's entrypoint, without Docker.

No Docker engine runs on the development machines or in CI, so what can be checked
without one is: the compose file's shape (services, ports, health checks, volumes,
secrets), that the app gets only settings it reads (the list comes from
:func:`chainrisk.ui.environment`, itself checked against the source), that the
Dockerfile's files exist, and the entrypoint itself, run for real with the paths
moved into a temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from chainrisk.auth import load_policy, verify_password
from chainrisk.cli import build_parser
from chainrisk.ui import environment
from tests.conftest import ROOT

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
EXAMPLE_POLICY = ROOT / "deploy" / "policy.example.toml"
SHELLCHECK = Path("/usr/bin/shellcheck")
ADMIN_PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the KEY=value spelling
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_the_services_and_what_they_need(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"neo4j", "app"}
    neo4j, app = services["neo4j"], services["app"]
    assert neo4j["image"] == "neo4j:5.26-community"
    assert neo4j["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    assert any(v.split(":")[0] in compose["volumes"] and v.endswith(":/data")
               for v in neo4j["volumes"])  # a named volume holds the database
    assert app["build"] in (".", {"context": "."})
    assert app["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
    assert app["ports"] == ["8501:8501"]
    assert app["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    for name in (*neo4j["secrets"], *app["secrets"]):
        assert name in compose["secrets"], name
        assert compose["secrets"][name]["file"].startswith("./deploy/secrets/")
    ignored = (ROOT / "deploy" / "secrets" / ".gitignore").read_text().splitlines()
    assert "*" in ignored  # secret files are never committed


def test_the_app_is_given_only_settings_it_reads(compose: dict[str, Any]) -> None:
    given = _env(compose["services"]["app"])
    assert set(given) <= set(environment()), set(given) - set(environment())
    # and what it is given fits the rest of the file
    assert given["CHAINRISK_STORE"] == "bolt://neo4j:7687"
    secret = given["NEO4J_PASSWORD_FILE"].removeprefix("/run/secrets/")
    assert secret in compose["services"]["app"]["secrets"]
    mounts = [v.split(":")[1] for v in compose["services"]["app"]["volumes"]]
    assert str(Path(given["CHAINRISK_POLICY"]).parent) in mounts  # the policy persists
    neo4j_auth = _env(compose["services"]["neo4j"])["NEO4J_AUTH_FILE"]
    assert neo4j_auth.removeprefix("/run/secrets/") in compose["services"]["neo4j"]["secrets"]


def test_the_list_of_settings_names_every_variable_the_code_reads() -> None:
    found: set[str] = set()
    constants: set[str] = set()
    for path in (ROOT / "chainrisk").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"\b(?:CHAINRISK|NEO4J)_[A-Z0-9_]+\b", text))
        constants |= set(re.findall(r"^((?:CHAINRISK|NEO4J)_[A-Z0-9_]+)\s*[:=]", text, re.M))
    assert found - constants == set(environment())


def test_the_dockerfile_refers_to_files_that_exist() -> None:
    lines = _instructions(DOCKERFILE.read_text(encoding="utf-8"))
    copied: dict[str, Path] = {}
    for op, rest in lines:
        if op == "COPY" and not rest.startswith("--from"):
            *sources, target = shlex.split(rest)
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file"
            if len(sources) == 1:
                copied[target] = ROOT / sources[0]
    entrypoint = json.loads(next(rest for op, rest in lines if op == "ENTRYPOINT"))
    assert copied[entrypoint[0]] == ENTRYPOINT
    assert os.access(ENTRYPOINT, os.X_OK)
    cmd = json.loads(next(rest for op, rest in lines if op == "CMD"))
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert cmd[0] in scripts
    args = build_parser().parse_args(cmd[1:])
    assert (args.action, args.host, args.port) == ("serve", "0.0.0.0", 8501)
    # the entrypoint's default command is the same one
    assert shlex.join(cmd) in ENTRYPOINT.read_text()
    # the policy template the image carries is the one compose mounts
    assert copied["/etc/chainrisk/policy.example.toml"] == EXAMPLE_POLICY
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".venv" in ignored
    assert "deploy/secrets" in ignored


def _instructions(text: str) -> list[tuple[str, str]]:
    """Return the Dockerfile's (instruction, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    rows = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            rows.append((op.upper(), rest.strip()))
    return rows


def test_the_entrypoint_script_is_clean() -> None:
    subprocess.run(["bash", "-n", str(ENTRYPOINT)], check=True)
    if not SHELLCHECK.is_file():
        pytest.fail(f"{SHELLCHECK} is missing (apt-get install -y shellcheck; make test "
                    "installs it)")
    done = subprocess.run([str(SHELLCHECK), str(ENTRYPOINT)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout


def _entrypoint(tmp_path: Path, *command: str, auth: str = "neo4j/s3cret-neo4j",
                password: str = "s3cret-neo4j") -> subprocess.CompletedProcess[str]:
    secrets = tmp_path / "secrets"
    secrets.mkdir(exist_ok=True)
    (secrets / "admin_password").write_text(ADMIN_PASSWORD + "\n")
    (secrets / "neo4j_auth").write_text(auth)
    (secrets / "neo4j_password").write_text(password + "\n")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "ADMIN_PASSWORD_FILE": str(secrets / "admin_password"),
        "NEO4J_AUTH_FILE": str(secrets / "neo4j_auth"),
        "POLICY_TEMPLATE": str(EXAMPLE_POLICY),
        "NEO4J_USER": "neo4j",
        "NEO4J_PASSWORD_FILE": str(secrets / "neo4j_password"),
        "CHAINRISK_POLICY": str(tmp_path / "policy" / "policy.toml"),
        # the embedded store: schema apply needs no Neo4j here
        "CHAINRISK_STORE": f"sqlite:///{tmp_path / 'chains.db'}",
    }
    return subprocess.run(["bash", str(ENTRYPOINT), *command], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_entrypoint_makes_the_policy_once_then_runs_the_command(tmp_path: Path) -> None:
    first = _entrypoint(tmp_path, "echo", "served")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == "served"
    assert "embedded store" in first.stdout  # chainrisk schema apply ran
    policy_file = tmp_path / "policy" / "policy.toml"
    assert oct(policy_file.stat().st_mode & 0o777) == "0o600"
    text = policy_file.read_text()
    assert "@ADMIN_PASSWORD_HASH@" not in text
    assert ADMIN_PASSWORD not in text + first.stdout + first.stderr
    policy = load_policy(policy_file)
    admin = policy.account("admin")
    assert admin is not None
    assert admin.password is not None
    assert verify_password(ADMIN_PASSWORD, admin.password)
    grant = policy.grant("admin")
    assert grant is not None
    assert grant.can_load
    assert grant.chains is None  # every chain

    again = _entrypoint(tmp_path, "true")
    assert again.returncode == 0, again.stderr
    assert policy_file.read_text() == text  # made once: later edits are kept


def test_the_entrypoint_refuses_neo4j_secrets_that_disagree(tmp_path: Path) -> None:
    done = _entrypoint(tmp_path, "echo", "served", auth="neo4j/another")
    assert done.returncode == 1
    assert "do not hold the same Neo4j account" in done.stderr
    assert "another" not in done.stderr
    assert "served" not in done.stdout


def test_the_entrypoint_needs_a_policy_path(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    assert bash
    env = {k: v for k, v in os.environ.items() if k != "CHAINRISK_POLICY"}
    done = subprocess.run([bash, str(ENTRYPOINT), "true"], env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode != 0
    assert "CHAINRISK_POLICY" in done.stderr
