"""The Neo4j password shows nowhere: not in output, errors, logs, reports, exports or files.

With the test server's password (random, given through the environment or a password
file) and every logger at DEBUG (the neo4j driver's too), commands that succeed and
commands that fail (a wrong password, a closed port, a password written into the store
URL in several ways) run; then their output, the log records, every file they wrote
(report folders, exports, unzipped workbooks, dumps, an embedded store copied from the
graph) and the graph itself are searched for the password. It must appear nowhere.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from chainrisk.cli import main
from chainrisk.store import redact_url
from tests.conftest import write_bundle
from tests.faults.workload import ROOT, environment
from tests.neo4j_server import USER
from tests.store.test_contract import clear

WRONG = "Wr0ng-Passw0rd-for-the-secrets-test"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def texts_in(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Yield (name, bytes) of every file under ``folder``, and of every member of a zip."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield str(path), data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{path}[{member}]", archive.read(member)


def graph_text(uri: str, password: str) -> str:
    """Return every property of every node and relationship of the database, as text."""
    with neo4j.GraphDatabase.driver(uri, auth=(USER, password)) as driver:
        nodes, _, _ = driver.execute_query("MATCH (n) RETURN properties(n) AS p")
        rels, _, _ = driver.execute_query("MATCH ()-[r]->() RETURN properties(r) AS p")
    return json.dumps([r["p"] for r in [*nodes, *rels]], ensure_ascii=False, default=str)


@pytest.mark.neo4j
def test_the_password_shows_nowhere(
    neo4j_server: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri, password = neo4j_server
    with neo4j.GraphDatabase.driver(uri, auth=(USER, password)) as admin:
        clear(admin)
    caplog.set_level(logging.DEBUG)
    for name in ("neo4j", "neo4j.io", "neo4j.pool", "chainrisk"):
        caplog.set_level(logging.DEBUG, logger=name)
    work = tmp_path / "work"
    work.mkdir()
    bundle = write_bundle(work / "tiny", {})
    host = uri.split("://", 1)[1]
    outputs: list[tuple[str, str]] = []  # (command, its output); commands are not searched

    def run(*args: str, status: int = 0) -> str:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(args), out=out, err=err)
        printed = capsys.readouterr()  # argparse writes its usage errors to sys.stderr
        text = out.getvalue() + err.getvalue() + printed.out + printed.err
        command = " ".join(redact_url(a).replace(password, "***") for a in args)
        outputs.append((command, text))
        assert code == status, f"chainrisk {command} exited {code}: {text}"
        return text

    monkeypatch.delenv("NEO4J_PASSWORD_FILE", raising=False)
    monkeypatch.setenv("NEO4J_PASSWORD", password)
    store = ["--store", uri]
    run(*store, "schema", "apply")
    run(*store, "load", "--report", str(work / "reports"), str(bundle))
    run(*store, "info")
    run(*store, "info", "--format", "json")
    run(*store, "spof", "--format", "json")
    run(*store, "rank", "--chain", "phone", "--write-back")
    run(*store, "simulate", "--disrupt", "asml")
    run(*store, "concentration", "--chain", "phone")
    for suffix in ("xlsx", "json", "csv", "zip"):
        run(*store, "export", "--chain", "phone", "--out", str(work / f"phone.{suffix}"))
    run(*store, "dump", str(work / "dump"))
    run(*store, "resolutions", "export", str(work / "names.csv"))
    run("copy", "--from", uri, "--to", f"sqlite:///{work / 'copy.db'}")

    # the password from a file instead of the environment
    secret_file = tmp_path / "secret"  # outside work/: its contents are the password
    secret_file.write_text(password + "\n", encoding="utf-8")
    monkeypatch.delenv("NEO4J_PASSWORD")
    monkeypatch.setenv("NEO4J_PASSWORD_FILE", str(secret_file))
    run(*store, "info")

    # what fails must not echo it either
    monkeypatch.setenv("NEO4J_PASSWORD", WRONG)
    assert "refused the user" in run(*store, "info", status=3)
    monkeypatch.setenv("NEO4J_PASSWORD", password)
    assert "cannot reach Neo4j" in run("--store", f"bolt://127.0.0.1:{closed_port()}", "info",
                                       status=3)
    in_url = [
        f"neo4j://{USER}:{password}@{host}",
        f"bolt://{USER}:{password}@{host}",
        f"bolt://{host}?password={password}",
        f"neo4j://{host}?auth={password}",
        f"neo4j://{USER}:{password}",  # user:password and no host
        f"neo4jx://{USER}:{password}@{host}",
        f"sqlite://{USER}:{password}@{host}/chain.db",
        f"{USER}:{password}@{host}",
        f"neo4j:/{USER}:{password}@{host}",  # a slash short
        f"neo4j:{USER}:{password}@{host}",
    ]
    for url in in_url:
        assert "error:" in run("--store", url, "info", status=2)
        assert "error:" in run("info", "--store", url, status=2)  # after the command too
    # argparse quotes what it cannot use: a URL typed where it does not belong
    for url in in_url:
        assert "error:" in run("info", url, status=2)
        assert "error:" in run("spof", "--format", url, status=2)
    run("copy", "--from", in_url[0], "--to", f"sqlite:///{work / 'x.db'}", status=2)

    # a process of its own, logging everything to its stderr
    logged = subprocess.run(
        [sys.executable, "-c", "import logging, sys; logging.basicConfig(level=logging.DEBUG);"
         " from chainrisk.cli import main; sys.exit(main(sys.argv[1:]))",
         "--store", uri, "info"],
        cwd=ROOT, env=environment(NEO4J_PASSWORD=password), capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert logged.returncode == 0, logged.stderr[-2000:]
    assert "LOGON" in logged.stderr  # the driver's DEBUG log was on

    places: list[tuple[str, bytes]] = [
        *((f"the output of chainrisk {command}", text.encode()) for command, text in outputs),
        ("log records", caplog.text.encode()),
        ("log arguments", repr([(r.msg, r.args) for r in caplog.records]).encode()),
        ("a process's output", (logged.stdout + logged.stderr).encode()),
        ("the graph", graph_text(uri, password).encode()),
        *texts_in(work),
    ]
    assert any(b"LOGON" in data for _, data in places)  # the driver's log was captured
    assert (work / "copy.db").stat().st_size > 0
    for secret in (password, WRONG):
        found = [where for where, data in places if secret.encode() in data]
        assert not found, f"the password appears in {found}"
