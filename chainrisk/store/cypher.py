"""Every Cypher statement chainrisk sends to Neo4j, and nothing else.

Values always travel as ``$parameters``; the only names written into the text are
labels, relationship types and property names taken from :mod:`chainrisk.schema`, so
no id, name or extra property can change what a statement does. Statements that differ
per table are built once, at import, from the schema and kept in dicts keyed by table.

Bookkeeping properties start with ``_`` and are never data:

- ``_load``: the id of the load that last changed the node or relationship;
- ``_extras``: the names of its extra (non-layout) properties, in column order;
- ``_new``: set by ``MERGE … ON CREATE`` and removed in the same statement, to count
  inserted rows;
- ``_lock``: set on the Meta node for the length of a load, so that loads queue.

Examples
--------
>>> for line in UPSERT["supplies"].splitlines()[:4]:
...     print(line)
UNWIND $rows AS row
MATCH (a:Firm {id: row[3]})
MATCH (b:Firm {id: row[4]})
MERGE (a)-[x:SUPPLIES {component: row[5]}]->(b)
>>> CONSTRAINTS[0]
'CREATE CONSTRAINT region_id IF NOT EXISTS FOR (n:Region) REQUIRE n.id IS UNIQUE'
"""

from __future__ import annotations

from chainrisk.schema import (
    LABEL_KEYS,
    NODE_LABELS,
    REFERENCES,
    RELATION_TYPES,
    TABLES,
    ColumnKind,
    Label,
    Reference,
    RelType,
)

# ----------------------------------------------------------------------------- schema


def _constraint(label: Label, key: str) -> str:
    return (
        f"CREATE CONSTRAINT {label.value.lower()}_{key} IF NOT EXISTS "
        f"FOR (n:{label.value}) REQUIRE n.{key} IS UNIQUE"
    )


#: graph_schema/constraints.cypher, statement by statement (a test keeps them equal).
CONSTRAINTS: tuple[str, ...] = tuple(_constraint(label, key) for label, key in LABEL_KEYS.items())

#: graph_schema/indexes.cypher, statement by statement (a test keeps them equal). No
#: index on a relationship property: planned on a near-empty database, the SUPPLIES
#: upsert would seek such an index by component instead of expanding between its two
#: firms, and that cached plan turns a large first load quadratic.
INDEXES: tuple[str, ...] = (
    f"CREATE INDEX firm_name IF NOT EXISTS FOR (n:{Label.FIRM}) ON (n.name)",
    f"CREATE INDEX firm_uscc IF NOT EXISTS FOR (n:{Label.FIRM}) ON (n.uscc)",
    f"CREATE INDEX component_name IF NOT EXISTS FOR (n:{Label.COMPONENT}) ON (n.name)",
    f"CREATE INDEX component_stage IF NOT EXISTS FOR (n:{Label.COMPONENT}) ON (n.stage)",
    f"CREATE INDEX region_level IF NOT EXISTS FOR (n:{Label.REGION}) ON (n.level)",
    f"CREATE FULLTEXT INDEX node_names IF NOT EXISTS "
    f"FOR (n:{Label.FIRM}|{Label.COMPONENT}|{Label.REGION}) ON EACH [n.name, n.name_zh]",
)

SHOW_CONSTRAINTS = (
    "SHOW CONSTRAINTS YIELD type, entityType, labelsOrTypes, properties "
    "WHERE entityType = 'NODE' "
    "RETURN type, labelsOrTypes AS labels, properties"
)

# ------------------------------------------------------------------------ store metadata

META = Label.META.value

#: Take the store's write lock (the Meta node) for the rest of the transaction, so that
#: loads run one after the other; create the Meta node on the first load.
LOCK_META = (
    f"MERGE (m:{META} {{key: $key}}) "
    "ON CREATE SET m.data_version = 0, m.schema_version = $schema_version "
    "SET m._lock = true "
    "RETURN m.schema_version AS schema_version"
)
UNLOCK_META = f"MATCH (m:{META} {{key: $key}}) REMOVE m._lock"
BUMP_DATA_VERSION = (
    f"MATCH (m:{META} {{key: $key}}) SET m.data_version = m.data_version + 1 "
    "RETURN m.data_version AS data_version"
)
DATA_VERSION = f"MATCH (m:{META} {{key: $key}}) RETURN m.data_version AS data_version"
#: What a snapshot read compares before and after it reads: the data version and the
#: number of loads (from the count store), which every committed load changes.
READ_STATE = (
    f"OPTIONAL MATCH (m:{META} {{key: $key}}) "
    f"RETURN m.data_version AS data_version, COUNT {{ (:{Label.LOAD}) }} AS loads"
)
NEXT_LOAD_ID = f"MATCH (l:{Label.LOAD}) RETURN coalesce(max(l.id), 0) + 1 AS id"
CREATE_LOAD = f"CREATE (l:{Label.LOAD}) SET l = $record"
LOADS = f"MATCH (l:{Label.LOAD}) RETURN properties(l) AS record ORDER BY l.id DESC LIMIT $last"

UPSERT_BUNDLE = (
    f"MERGE (b:{Label.BUNDLE} {{name: $name}}) "
    "WITH b, b.meta IS NULL OR b.meta <> $meta AS changed "
    "FOREACH (_ IN CASE WHEN changed THEN [1] ELSE [] END | "
    "SET b.meta = $meta, b._load = $load) "
    "RETURN changed"
)
BUNDLES = f"MATCH (b:{Label.BUNDLE}) RETURN b.name AS name, b.meta AS meta"

# -------------------------------------------------------------------------- resolutions

#: $rows: [{key, source, kind, written, id}]; returns how many were inserted or changed.
UPSERT_RESOLUTIONS = (
    "UNWIND $rows AS row "
    f"MERGE (r:{Label.RESOLUTION} {{key: row.key}}) "
    "WITH r, row, r.id IS NULL OR r.id <> row.id AS changed "
    "FOREACH (_ IN CASE WHEN changed THEN [1] ELSE [] END | "
    "SET r.source = row.source, r.kind = row.kind, r.written = row.written, "
    "r.id = row.id, r._load = $load) "
    "RETURN sum(CASE WHEN changed THEN 1 ELSE 0 END) AS changed"
)
RESOLUTIONS = (
    f"MATCH (r:{Label.RESOLUTION}) WHERE $source IS NULL OR r.source = $source "
    "RETURN r.source AS source, r.kind AS kind, r.written AS written, r.id AS id"
)

# ------------------------------------------------------------------------------ loading

# Rows are lists, not maps, to halve what the driver packs and the server reads: row[0]
# holds the values of the layout properties named by $columns (key excluded; null:
# absent, so that setting it removes the property), row[1] the names of the extra
# properties (null: none), row[2] their values; row[3] on is the key: a node's id, or a
# relationship's start id, end id and further key values (supplies: component). A row
# is the whole row as it is to be stored: the store merges a load's rows over what it
# holds (read with CURRENT) before sending them here.
#
# Whether the stored ``x`` (a node or relationship) differs from its row: layout
# properties and extra properties (names in order, and values). Properties written back
# by analyses are neither compared nor touched.
_DIFFERS = """\
coalesce(
    [i IN cols WHERE x[$columns[i]] IS NOT NULL | [i, x[$columns[i]]]]
       <> [i IN cols WHERE row[0][i] IS NOT NULL | [i, row[0][i]]]
    OR [k IN coalesce(x._extras, []) | [k, x[k]]] <> [i IN extras | [row[1][i], row[2][i]]],
    true)"""
_RANGES = (
    "range(0, size($columns) - 1) AS cols, range(0, size(coalesce(row[1], [])) - 1) AS extras"
)

# After the MERGE of ``x``: write the row only when it differs (or x was just created),
# and count.
_COMPARE_AND_SET = f"""\
ON CREATE SET x._new = true
WITH x, row, x._new IS NOT NULL AS created, {_RANGES}
WITH x, row, created, cols, extras, created OR {_DIFFERS} AS changed
FOREACH (_ IN CASE WHEN changed THEN [1] ELSE [] END |
    FOREACH (k IN [k IN coalesce(x._extras, []) WHERE NOT k IN coalesce(row[1], [])] |
        SET x[k] = null)
    FOREACH (i IN cols | SET x[$columns[i]] = row[0][i])
    FOREACH (i IN extras | SET x[row[1][i]] = row[2][i])
    SET x._extras = row[1], x._load = $load
    REMOVE x._new)
RETURN count(*) AS seen,
       sum(CASE WHEN created THEN 1 ELSE 0 END) AS created,
       sum(CASE WHEN changed THEN 1 ELSE 0 END) AS written"""


def _node_upsert(label: Label, key: str) -> str:
    return (
        f"UNWIND $rows AS row\nMERGE (x:{label.value} {{{key}: row[3]}})\n{_COMPARE_AND_SET},\n"
        "       collect(CASE WHEN changed THEN row[3] END) AS changed"
    )


def _endpoints(table: str) -> tuple[Label, Label, tuple[str, ...]]:
    """Return the start label, end label and property key columns of a relation table."""
    spec = TABLES[table]
    start, end, *rest = spec.key
    start_ref, end_ref = spec.column(start).ref, spec.column(end).ref
    assert start_ref is not None
    assert end_ref is not None
    return NODE_LABELS[start_ref], NODE_LABELS[end_ref], tuple(rest)


def _relation_upsert(table: str) -> str:
    start, end, rest = _endpoints(table)
    props = ", ".join(f"{name}: row[{5 + i}]" for i, name in enumerate(rest))
    rel = f"[x:{RELATION_TYPES[table].value}" + (f" {{{props}}}]" if props else "]")
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (a:{start.value} {{id: row[3]}})\n"
        f"MATCH (b:{end.value} {{id: row[4]}})\n"
        f"MERGE (a)-{rel}->(b)\n{_COMPARE_AND_SET}"
    )


def _relation_missing(table: str) -> str:
    start, end, _ = _endpoints(table)
    return (
        "UNWIND $rows AS row WITH row "
        f"WHERE NOT EXISTS {{ MATCH (:{start.value} {{id: row[3]}}) }} "
        f"OR NOT EXISTS {{ MATCH (:{end.value} {{id: row[4]}}) }} "
        "RETURN row[3] AS a, row[4] AS b LIMIT 5"
    )


#: Per table: upsert a batch of rows ($rows, $columns, $load); returns how many rows
#: matched (seen), were inserted (created) and written (inserted or changed), and for
#: node tables the keys of the rows written (changed). Node rows: [values, extra names,
#: extra values, id]; relationship rows: [values, extra names, extra values, start id,
#: end id, further key values (supplies: component)].
UPSERT: dict[str, str] = {
    **{t: _node_upsert(label, TABLES[t].key[0]) for t, label in NODE_LABELS.items()},
    **{t: _relation_upsert(t) for t in RELATION_TYPES},
}

#: Per relation table: up to five rows of $rows whose start or end node is missing.
MISSING_ENDPOINTS: dict[str, str] = {t: _relation_missing(t) for t in RELATION_TYPES}


def _current(table: str) -> str:
    if table in NODE_LABELS:
        match = f"MATCH (x:{NODE_LABELS[table].value} {{{TABLES[table].key[0]}: key}})"
    else:
        start, end, rest = _endpoints(table)
        props = ", ".join(f"{name}: key[{2 + i}]" for i, name in enumerate(rest))
        rel = f"[x:{RELATION_TYPES[table].value}" + (f" {{{props}}}]" if props else "]")
        match = f"MATCH (:{start.value} {{id: key[0]}})-{rel}->(:{end.value} {{id: key[1]}})"
    return f"UNWIND $keys AS key {match} RETURN key, properties(x) AS props"


#: Per table: what the store holds for the keys $keys (node tables: ids; relation
#: tables: [start id, end id, further key values]), as {key, props}; keys it does not
#: hold are left out. A load merges its rows over these before writing.
CURRENT: dict[str, str] = {t: _current(t) for t in TABLES}


def _link(ref: Reference) -> str:
    label = NODE_LABELS[ref.table]
    column = TABLES[ref.table].column(ref.column)
    assert column.ref is not None
    target = NODE_LABELS[column.ref]
    rel = ref.rel.value
    old, new = (
        (f"(n)<-[old:{rel}]-()", f"(t)-[:{rel}]->(n)")
        if ref.incoming
        else (f"(n)-[old:{rel}]->()", f"(n)-[:{rel}]->(t)")
    )
    targets = (
        f"coalesce(n.{ref.column}, [])"
        if column.kind in (ColumnKind.ID_LIST, ColumnKind.TEXT_LIST)
        else f"[v IN [n.{ref.column}] WHERE v IS NOT NULL]"
    )
    return (
        f"UNWIND $keys AS key MATCH (n:{label.value} {{id: key}}) "
        f"OPTIONAL MATCH {old} DELETE old "
        f"WITH DISTINCT n UNWIND {targets} AS target "
        f"MATCH (t:{target.value} {{id: target}}) MERGE {new}"
    )


#: Per reference: redraw the reference relationships of the nodes with keys $keys
#: from their reference property (old ones deleted, one per named node drawn).
LINK: dict[Reference, str] = {ref: _link(ref) for ref in REFERENCES}

# ------------------------------------------------------------------------------ reading

#: Per node table: the next page of nodes in key order, from $from (inclusive) on, at
#: most $limit. The uniqueness constraint's index gives the order (UTF-8 byte order,
#: the same as SQLite's and Python's; the caller checks it).
NODE_PAGE: dict[str, str] = {
    t: (
        f"MATCH (n:{label.value}) WHERE n.id >= $from "
        "WITH n ORDER BY n.id LIMIT $limit "
        "RETURN n.id AS key, properties(n) AS props"
    )
    for t, label in NODE_LABELS.items()
}


#: Per node table: the next page of ids, as NODE_PAGE.
ID_PAGE: dict[str, str] = {
    t: (
        f"MATCH (n:{label.value}) WHERE n.id >= $from "
        "WITH n ORDER BY n.id LIMIT $limit RETURN n.id AS key"
    )
    for t, label in NODE_LABELS.items()
}


def _relation_page(table: str) -> str:
    start, end, _ = _endpoints(table)
    rel = RELATION_TYPES[table].value
    return (
        f"MATCH (a:{start.value}) WHERE a.id >= $from "
        "WITH a ORDER BY a.id LIMIT $limit "
        f"RETURN a.id AS key, [(a)-[r:{rel}]->(b:{end.value}) | [b.id, properties(r)]] AS rels"
    )


#: Per relation table: the next page of start nodes in key order (as NODE_PAGE), each
#: with its [end id, properties] pairs.
RELATION_PAGE: dict[str, str] = {t: _relation_page(t) for t in RELATION_TYPES}


def _extra_names(table: str) -> str:
    if table in NODE_LABELS:
        match = f"MATCH (x:{NODE_LABELS[table].value})"
    else:
        match = f"MATCH ()-[x:{RELATION_TYPES[table].value}]->()"
    return f"{match} WHERE x._extras IS NOT NULL UNWIND x._extras AS name RETURN DISTINCT name"


#: Per table: the distinct names of its extra properties.
EXTRA_NAMES: dict[str, str] = {t: _extra_names(t) for t in TABLES}

#: The number of rows of every table (from Neo4j's count store).
COUNTS = "RETURN " + ", ".join(
    [f"COUNT {{ (:{label.value}) }} AS {t}" for t, label in NODE_LABELS.items()]
    + [f"COUNT {{ ()-[:{rel.value}]->() }} AS {t}" for t, rel in RELATION_TYPES.items()]
)

#: Every chain with the number of its components and of the firms producing them.
CHAINS = (
    f"MATCH (ch:{Label.CHAIN}) "
    "CALL (ch) { "
    f"MATCH (c:{Label.COMPONENT}) WHERE ch.id IN c.chains RETURN count(c) AS components }} "
    "CALL (ch) { "
    f"MATCH (f:{Label.FIRM})-[:{RelType.PRODUCES}]->(c:{Label.COMPONENT}) "
    "WHERE ch.id IN c.chains RETURN count(DISTINCT f) AS producing_firms } "
    "RETURN ch.id AS id, ch.name AS name, ch.name_zh AS name_zh, components, producing_firms"
)

# --------------------------------------------------------------------------- write-back

#: Per node label: set analysis properties ($rows: [{key, props}]) on existing nodes,
#: except names the node holds as extra properties (data wins); returns how many found.
SET_WRITE_BACK: dict[str, str] = {
    t: (
        f"UNWIND $rows AS row MATCH (n:{label.value} {{id: row.key}}) "
        "FOREACH (k IN [k IN keys(row.props) WHERE NOT k IN coalesce(n._extras, [])] | "
        "SET n[k] = row.props[k]) "
        "RETURN count(n) AS found"
    )
    for t, label in NODE_LABELS.items()
}


#: Every statement above (the recording-fake tests check that nothing else is sent).
STATEMENTS: frozenset[str] = frozenset(
    [
        *CONSTRAINTS,
        *INDEXES,
        SHOW_CONSTRAINTS,
        LOCK_META,
        UNLOCK_META,
        BUMP_DATA_VERSION,
        DATA_VERSION,
        READ_STATE,
        NEXT_LOAD_ID,
        CREATE_LOAD,
        LOADS,
        UPSERT_BUNDLE,
        BUNDLES,
        UPSERT_RESOLUTIONS,
        RESOLUTIONS,
        *UPSERT.values(),
        *MISSING_ENDPOINTS.values(),
        *CURRENT.values(),
        *LINK.values(),
        *NODE_PAGE.values(),
        *ID_PAGE.values(),
        *RELATION_PAGE.values(),
        *EXTRA_NAMES.values(),
        COUNTS,
        CHAINS,
        *SET_WRITE_BACK.values(),
    ]
)
