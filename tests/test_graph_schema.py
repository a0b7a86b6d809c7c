"""graph_schema/*.cypher stays equal to chainrisk/schema.py and chainrisk/store/cypher.py."""

from __future__ import annotations

import re

from chainrisk.schema import LABEL_KEYS, NODE_LABELS, TABLES, WRITE_BACK, Label, RelType
from chainrisk.store import cypher
from tests.conftest import ROOT

SCHEMA = ROOT / "graph_schema"


def statements(name: str) -> list[str]:
    text = (SCHEMA / name).read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    return [s.strip() for s in body.split(";") if s.strip()]


def test_every_node_key_has_a_uniqueness_constraint() -> None:
    found = set()
    for statement in statements("constraints.cypher"):
        assert "IF NOT EXISTS" in statement, statement
        match = re.search(r"FOR \(n:(\w+)\) REQUIRE n\.(\w+) IS UNIQUE", statement)
        assert match, statement
        found.add((match.group(1), match.group(2)))
    expected = {(label.value, TABLES[table].key[0]) for table, label in NODE_LABELS.items()}
    expected |= {
        (Label.LOAD.value, "id"),
        (Label.BUNDLE.value, "name"),
        (Label.RESOLUTION.value, "key"),
        (Label.META.value, "key"),
    }
    assert found == expected
    assert expected == {(label.value, key) for label, key in LABEL_KEYS.items()}


def test_files_hold_the_statements_the_store_applies() -> None:
    assert statements("constraints.cypher") == list(cypher.CONSTRAINTS)
    assert statements("indexes.cypher") == list(cypher.INDEXES)


def test_indexes_name_only_schema_labels_and_types() -> None:
    labels = {label.value for label in Label}
    types = {rel.value for rel in RelType}
    for statement in statements("indexes.cypher"):
        assert "IF NOT EXISTS" in statement, statement
        for group in re.findall(r"\(n:([\w|]+)\)", statement):
            assert set(group.split("|")) <= labels, statement
        for rel in re.findall(r"\[r:(\w+)\]", statement):
            assert rel in types, statement
        for prop in re.findall(r"n\.(\w+)", statement):
            assert any(t.has_column(prop) for t in TABLES.values()), statement


def test_readme_draws_every_label_and_type() -> None:
    readme = (SCHEMA / "README.md").read_text(encoding="utf-8")
    for label in Label:
        assert f":{label.value}" in readme
    for rel in RelType:
        assert f":{rel.value}" in readme


def test_write_back_properties_are_not_columns_or_bookkeeping() -> None:
    for name in WRITE_BACK:
        assert not name.startswith("_")
        assert not any(t.has_column(name) for t in TABLES.values()), name
