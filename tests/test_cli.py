"""The command line: exit statuses, messages that say how to fix things, help and docs."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chainrisk.cli import EXIT_INPUT, EXIT_STORE, EXIT_USAGE, build_parser, main
from tests.conftest import ROOT, TINY, write_bundle


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_load_info_dump(tmp_path: Path, tiny: Path) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    code, out, _ = run("--store", store, "load", str(tiny))
    assert code == 0
    assert "firms" in out
    assert "0 error(s)" in out
    code, out, _ = run("--store", store, "load", str(tiny), "--quiet")
    assert code == 0
    code, out, _ = run("--store", store, "info", "--format", "json")
    info = json.loads(out)
    assert info["counts"]["firms"] == 3
    assert [load["changed"] for load in info["loads"]] == [0, info["loads"][1]["changed"]]
    assert info["loads"][1]["changed"] > 0
    code, out, _ = run("--store", store, "info")
    assert "phone" in out
    assert "recent loads" in out
    code, out, _ = run("--store", store, "dump", str(tmp_path / "out"))
    assert code == 0
    assert (tmp_path / "out" / "firms.csv").exists()


def test_broken_bundle_exits_1_with_a_report(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {"supplies.csv": TINY["supplies.csv"] + "ghost,fab,euv,,,,\n"},
    )
    code, _, err = run("load", str(folder), "--report", str(tmp_path / "rep"))
    assert code == EXIT_INPUT
    assert "supplies.csv, line 4, column 'supplier'" in err
    assert "--on-error skip" in err
    assert (tmp_path / "rep" / "rejects.csv").exists()
    assert "Traceback" not in err
    code, out, _ = run("info")
    assert "nothing loaded yet" in out


def test_skip_loads_the_rest(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {"supplies.csv": TINY["supplies.csv"] + "ghost,fab,euv,,,,\n"},
    )
    code, out, _ = run("load", str(folder), "--on-error", "skip", "--report",
                       str(tmp_path / "rep"))
    assert code == 0
    assert "rejects.csv" in out


def test_dry_run_writes_nothing(tiny: Path) -> None:
    code, out, _ = run("load", "--dry-run", str(tiny))
    assert code == 0
    assert "dry run" in out
    _, out, _ = run("info", "--format", "json")
    assert json.loads(out)["counts"]["firms"] == 0


def test_usage_and_store_errors(tmp_path: Path, tiny: Path) -> None:
    code, _, err = run("--store", "mysql://x", "info")
    assert code == EXIT_USAGE
    assert "sqlite:///" in err
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database" * 200)
    code, _, err = run("--store", f"sqlite:///{bad}", "info")
    assert code == EXIT_STORE
    assert "not an SQLite database" in err
    code, _, err = run("load", str(tmp_path / "missing"))
    assert code == EXIT_INPUT
    assert "does not exist" in err
    code, _, err = run("dump", str(tiny))
    assert code == EXIT_USAGE
    assert "not an empty folder" in err
    assert run("nonsense")[0] == EXIT_USAGE


def test_the_store_may_be_named_after_the_command_too(tmp_path: Path, tiny: Path) -> None:
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    assert run("load", str(tiny), "--store", first)[0] == 0
    code, out, _ = run("info", "--format", "json", "--store", first)
    assert code == 0
    assert json.loads(out)["counts"]["firms"] == 3
    # the one after the command is the one meant: it wins over the one before
    code, out, _ = run("--store", first, "info", "--format", "json", "--store", second)
    assert code == 0
    assert json.loads(out)["counts"]["firms"] == 0
    assert json.loads(out)["location"].endswith("b.db")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_has_help_and_docs() -> None:
    helps = {
        a.dest: a.help
        for a in build_parser()._actions
        if isinstance(a, argparse._SubParsersAction)
        for a in a._choices_actions
    }
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = subcommands()
    assert {"load", "info", "dump", "generate"} <= set(commands)
    for name, parser in commands.items():
        assert helps.get(name), f"{name} has no help line"
        assert parser.description, f"{name} has no description"
        assert f"## chainrisk {name}" in docs, f"docs/cli.md does not document {name}"
        assert f"chainrisk {name}" in readme, f"README.md does not mention {name}"
        for option in parser._actions:
            if option.option_strings and option.dest != "help":
                assert option.help, f"{name} {option.option_strings} has no help"
                assert option.option_strings[-1] in docs, (
                    f"docs/cli.md does not mention {name} {option.option_strings[-1]}"
                )


def test_console_script_runs(tmp_path: Path, tiny: Path) -> None:
    env = {**os.environ, "CHAINRISK_STORE": f"sqlite:///{tmp_path / 'c.db'}"}
    script = Path(sys.executable).parent / "chainrisk"
    done = subprocess.run(
        [str(script), "load", "--quiet", str(tiny)], env=env, capture_output=True, text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "load" in done.stdout


@pytest.mark.parametrize("command", ["load", "info", "dump", "generate"])
def test_help_of_each_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    assert "usage: chainrisk" in capsys.readouterr().out


@pytest.fixture
def loaded(tmp_path: Path) -> str:
    """Return the URL of a store holding both sample chains."""
    store = f"sqlite:///{tmp_path / 'chains.db'}"
    code, _, err = run("--store", store, "load", "--quiet", str(ROOT / "loaders/bundles/ic"),
                       str(ROOT / "loaders/bundles/5g"))
    assert code == 0, err
    return store


def test_spof_json_contract_and_the_ic_chokepoints(loaded: str) -> None:
    code, out, _ = run("--store", loaded, "spof", "--format", "json")
    assert code == 0
    nodes = json.loads(out)["nodes"]
    assert all(v == sorted(v) and k not in v for k, v in nodes.items())
    assert not any(k.startswith("site:") or any(x.startswith("site:") for x in v)
                   for k, v in nodes.items())
    assert {"region:CN", "firm:asml", "component:euv-scanner"} <= set(nodes)
    accelerator = nodes["component:ai-accelerator"]
    # the EUV scanner maker, its optics and light-source makers and their countries
    assert {"firm:asml", "firm:zeiss", "firm:cymer", "region:NL", "region:DE",
            "component:euv-scanner"} <= set(accelerator)
    code, out, _ = run("--store", loaded, "spof", "--target", "ai-accelerator", "--format",
                       "json", "--explain")
    data = json.loads(out)
    assert data["nodes"]["component:ai-accelerator"] == accelerator
    path = data["paths"]["component:ai-accelerator"]["firm:asml"]
    assert path[0] == "firm:asml"
    assert path[-1] == "component:ai-accelerator"
    code, out, _ = run("--store", loaded, "spof", "--target", "component:ai-accelerator")
    assert "firm:asml" in out
    assert "via firm:asml ->" in out
    code, out, _ = run("--store", loaded, "spof", "--chain", "5g", "--format", "csv")
    assert out.startswith("target,spof,spof_name,path")


def test_simulate_contract(loaded: str) -> None:
    code, out, _ = run("--store", loaded, "simulate", "--disrupt", "region:NL",
                       "--disrupt", "firm:tsmc", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["disrupted"] == ["firm:tsmc", "region:NL"]
    assert "firm:asml" in data["failed"]
    assert "region:NL" in data["failed"]
    assert all(data["output"][f] == 0.0 for f in data["failed"])
    assert data["output"]["region:CN"] == 1.0
    code, out, _ = run("--store", loaded, "simulate", "--disrupt", "tsmc")
    assert "chain targets affected" in out
    code, _, err = run("--store", loaded, "simulate", "--disrupt", "atlantis")
    assert code == EXIT_USAGE
    assert "atlantis" in err


def test_rank_concentration_structure(loaded: str, tmp_path: Path) -> None:
    code, out, _ = run("--store", loaded, "rank", "--chain", "ic", "--kind", "firm",
                       "--top", "5", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["rows"][0]["id"] == "firm:asml"
    assert len(data["rows"]) == 5
    assert "structural" in data["structural_note"]
    weights = tmp_path / "w.toml"
    weights.write_text("output_lost = 1.0\ntargets_lost_share = 0\n")
    code, out, _ = run("--store", loaded, "rank", "--chain", "ic", "--weights", str(weights),
                       "--weight", "nodes_lost=0", "--format", "csv")
    assert code == 0
    assert out.splitlines()[0].startswith("rank,id,kind")
    code, _, err = run("--store", loaded, "rank", "--chain", "ic", "--weight", "luck=1")
    assert code == EXIT_USAGE
    assert "unknown weight" in err
    code, _, err = run("--store", loaded, "rank", "--chain", "shoes")
    assert code == EXIT_USAGE
    assert "ic" in err
    code, out, _ = run("--store", loaded, "concentration", "--chain", "ic", "--format", "json")
    rows = {r["id"]: r for r in json.loads(out)["components"]}
    assert rows["component:euv-scanner"]["top_producer"] == "firm:asml"
    assert rows["component:euv-scanner"]["region_over_65"] is True
    code, out, _ = run("--store", loaded, "structure")
    assert out.startswith("STRUCTURAL VIEW")


def test_names_are_accepted_where_ids_are(tmp_path: Path, tiny: Path) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    assert run("--store", store, "load", "--quiet", str(tiny))[0] == 0
    code, out, _ = run("--store", store, "spof", "--target", "芯片", "--format", "json")
    assert code == 0
    assert list(json.loads(out)["nodes"]) == ["component:chip"]
    code, out, _ = run("--store", store, "simulate", "--disrupt", "深圳市", "--format", "json")
    assert code == 0
    assert json.loads(out)["disrupted"] == ["region:CN-GD-SZ"]
    # an alias and a full-width, upper-case spelling of a name
    code, out, _ = run("--store", store, "simulate", "--disrupt", "晶圆", "--disrupt",
                       "ＥＵＶ  scanner", "--format", "json")
    assert code == 0
    assert json.loads(out)["disrupted"] == ["component:euv", "firm:fab"]
    # a chain by its Chinese name
    code, out, _ = run("--store", store, "rank", "--chain", "手机", "--format", "json")
    assert code == 0
    assert json.loads(out)["chain"] == "phone"
    # nothing matches: say so, and offer the names that contain what was typed
    code, _, err = run("--store", store, "spof", "--target", "光刻")
    assert code == EXIT_USAGE
    assert "component:euv (极紫外光刻机)" in err
    assert "component:duv (深紫外光刻机)" in err


def test_an_ambiguous_name_lists_its_matches(tmp_path: Path) -> None:
    firms = TINY["firms.csv"].replace("asml,ASML,阿斯麦,", "asml,ASML,芯片,")
    bundle = write_bundle(tmp_path / "b", {"firms.csv": firms})
    store = f"sqlite:///{tmp_path / 's.db'}"
    assert run("--store", store, "load", "--quiet", str(bundle))[0] == 0
    code, _, err = run("--store", store, "simulate", "--disrupt", "芯片")
    assert code == EXIT_USAGE
    assert "matches 2 nodes" in err
    assert "firm:asml" in err
    assert "component:chip" in err


def test_tables_show_names_beside_ids(loaded: str) -> None:
    code, out, _ = run("--store", loaded, "concentration", "--chain", "ic")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("component:euv-scanner "))
    assert "极紫外" in line
    code, out, _ = run("--store", loaded, "concentration", "--chain", "ic", "--format", "csv")
    header, *lines = out.splitlines()
    assert header.split(",")[:3] == ["id", "name", "name_zh"]
    assert any(x.startswith("component:euv-scanner,") and "极紫外" in x for x in lines)
    code, out, _ = run("--store", loaded, "concentration", "--chain", "ic", "--format", "json")
    euv = next(r for r in json.loads(out)["components"] if r["id"] == "component:euv-scanner")
    assert "极紫外" in euv["name_zh"]
    assert euv["top_producer_name"] == "ASML"
    code, out, _ = run("--store", loaded, "structure")
    assert "firm:asml (ASML (阿斯麦))" in out
    code, out, _ = run("--store", loaded, "spof", "--target", "euv-scanner", "--format", "json")
    data = json.loads(out)
    assert data["names"]["firm:asml"]["name_zh"] == "阿斯麦"
    assert set(data["nodes"]["component:euv-scanner"]) <= data["names"].keys()
    code, out, _ = run("--store", loaded, "simulate", "--disrupt", "asml", "--format", "json")
    data = json.loads(out)
    assert data["names"]["firm:asml"]["name"] == "ASML"
    assert set(data["failed"]) <= data["names"].keys()
    code, out, _ = run("--store", loaded, "overview", "--chain", "ic", "--format", "json")
    assert all(s["name"] for s in json.loads(out)["spofs"])
    code, out, _ = run("--store", loaded, "structure", "--format", "json")
    data = json.loads(out)
    assert data["names"]["firm:asml"] == {"name": "ASML", "name_zh": "阿斯麦"}
    assert set(data["articulation_points"]) <= data["names"].keys()


def test_resolutions_export_names_the_ids_and_imports_back(tmp_path: Path, tiny: Path
                                                           ) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    assert run("--store", store, "load", "--quiet", str(tiny))[0] == 0
    listing = tmp_path / "list.csv"
    listing.write_text("供应商名称,物料,占比\nFab Works,Chip,50%\n", encoding="utf-8")
    code, _, err = run("--store", store, "import-suppliers", "--buyer", "phoneco",
                       "--quiet", str(listing))
    assert code == 0, err
    names = tmp_path / "names.csv"
    assert run("--store", store, "resolutions", "export", str(names))[0] == 0
    text = names.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "source,kind,written,id,name,name_zh"
    assert "phoneco,Phone Co.,手机公司" in text  # the buyer, with its stored names
    # the officer maps "Fab Works" to the stored fab; the name columns are only read by people
    fixed = text.replace(next(x for x in text.splitlines() if ",Fab Works," in x),
                         "list.csv,firm,Fab Works,fab,whatever,随便")
    names.write_text(fixed, encoding="utf-8-sig")
    code, out, _ = run("--store", store, "resolutions", "import", str(names))
    assert code == 0
    assert out.startswith("1 resolution(s) changed")
