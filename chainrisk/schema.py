"""The chain bundle's tables, columns and graph labels: the one place that names them.

Everything that reads or writes a bundle, a store or the graph takes its names from
here (data-format.md is the prose version of this module). ``graph_schema/*.cypher``
is kept equal to it by a test.

Examples
--------
>>> TABLES["firms"].key
('id',)
>>> [c.name for c in TABLES["requires"].required_columns]
['product', 'input']
>>> TABLES["supplies"].column("share").kind
<ColumnKind.SHARE: 'share'>
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class NodeKind(StrEnum):
    """Kinds of node in the dependency graph; node ids are ``kind:id``."""

    REGION = "region"
    FIRM = "firm"
    COMPONENT = "component"


class Label(StrEnum):
    """Neo4j node labels."""

    REGION = "Region"
    FIRM = "Firm"
    COMPONENT = "Component"
    CHAIN = "Chain"
    LOAD = "Load"
    BUNDLE = "Bundle"
    RESOLUTION = "Resolution"
    META = "Meta"


class RelType(StrEnum):
    """Neo4j relationship types, one per relation table or reference column."""

    PART_OF = "PART_OF"  # (Region)-[:PART_OF]->(Region parent)
    LOCATED_IN = "LOCATED_IN"  # (Firm)-[:LOCATED_IN]->(Region HQ)
    CONTROLLED_FROM = "CONTROLLED_FROM"  # (Firm)-[:CONTROLLED_FROM]->(Region controller)
    IN_CHAIN = "IN_CHAIN"  # (Component)-[:IN_CHAIN]->(Chain)
    LEADS = "LEADS"  # (Firm)-[:LEADS]->(Chain)
    REQUIRES = "REQUIRES"  # (Component product)-[:REQUIRES]->(Component input)
    PRODUCES = "PRODUCES"  # (Firm)-[:PRODUCES]->(Component)
    SUPPLIES = "SUPPLIES"  # (Firm supplier)-[:SUPPLIES {component}]->(Firm buyer)


class RegionLevel(StrEnum):
    """Administrative level of a region."""

    COUNTRY = "country"
    PROVINCE = "province"
    CITY = "city"
    ZONE = "zone"


class Stage(StrEnum):
    """Position of a component in its chain."""

    UPSTREAM = "upstream"
    MIDSTREAM = "midstream"
    DOWNSTREAM = "downstream"


class OnError(StrEnum):
    """What a load does with rows that fail validation."""

    RAISE = "raise"  # load nothing, report every problem
    SKIP = "skip"  # load the good rows, write the bad ones to a rejects file


class ColumnKind(StrEnum):
    """How a cell is parsed and normalised (see chainrisk.ingest.values)."""

    ID = "id"
    TEXT = "text"
    BOOL = "bool"
    SHARE = "share"
    NUMBER = "number"
    INTEGER = "integer"
    DATE = "date"
    USCC = "uscc"
    ID_LIST = "id_list"
    TEXT_LIST = "text_list"
    LEVEL = "level"
    STAGE = "stage"


@dataclass(frozen=True)
class Column:
    """One column of a bundle table.

    ``ref`` names the table whose ids this column holds (for ``ID`` and ``ID_LIST``).
    """

    name: str
    kind: ColumnKind
    required: bool = False
    ref: str | None = None


@dataclass(frozen=True)
class Table:
    """One bundle file: its columns, its key and whether the file must exist."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    file_required: bool = False
    node: NodeKind | None = None
    _by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    @property
    def filename(self) -> str:
        """Return the CSV file name of the table."""
        return f"{self.name}.csv"

    @property
    def column_names(self) -> tuple[str, ...]:
        """Return the known column names in canonical order."""
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        """Return the columns every row must fill."""
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """Return the column called ``name``; KeyError if the table has none."""
        return self._by_name[name]

    def has_column(self, name: str) -> bool:
        """Return whether ``name`` is a known column of this table."""
        return name in self._by_name


C = ColumnKind

REGIONS = Table(
    "regions",
    (
        Column("id", C.ID, required=True),
        Column("name", C.TEXT, required=True),
        Column("name_zh", C.TEXT),
        Column("level", C.LEVEL, required=True),
        Column("parent", C.ID, ref="regions"),
        Column("aliases", C.TEXT_LIST),
    ),
    key=("id",),
    file_required=True,
    node=NodeKind.REGION,
)

FIRMS = Table(
    "firms",
    (
        Column("id", C.ID, required=True),
        Column("name", C.TEXT, required=True),
        Column("name_zh", C.TEXT),
        Column("aliases", C.TEXT_LIST),
        Column("uscc", C.USCC),
        Column("region", C.ID, required=True, ref="regions"),
        Column("chain_leader", C.BOOL),
        Column("listed", C.BOOL),
        Column("employees", C.INTEGER),
        Column("revenue_musd", C.NUMBER),
        # the country of the firm's ultimate controlling owner (chain-chief.md §A);
        # empty: the country of its HQ
        Column("controller", C.ID, ref="regions"),
    ),
    key=("id",),
    file_required=True,
    node=NodeKind.FIRM,
)

CHAINS = Table(
    "chains",
    (
        Column("id", C.ID, required=True),
        Column("name", C.TEXT, required=True),
        Column("name_zh", C.TEXT),
        Column("chief", C.TEXT),
        Column("leader_firms", C.ID_LIST, ref="firms"),
    ),
    key=("id",),
)

COMPONENTS = Table(
    "components",
    (
        Column("id", C.ID, required=True),
        Column("name", C.TEXT, required=True),
        Column("name_zh", C.TEXT),
        Column("chains", C.ID_LIST, ref="chains"),
        Column("stage", C.STAGE),
        Column("category", C.TEXT),
        Column("end_product", C.BOOL),
        Column("aliases", C.TEXT_LIST),
    ),
    key=("id",),
    file_required=True,
    node=NodeKind.COMPONENT,
)

REQUIRES = Table(
    "requires",
    (
        Column("product", C.ID, required=True, ref="components"),
        Column("input", C.ID, required=True, ref="components"),
        Column("group", C.TEXT),
        Column("quantity", C.NUMBER),
    ),
    key=("product", "input"),
)

PRODUCES = Table(
    "produces",
    (
        Column("firm", C.ID, required=True, ref="firms"),
        Column("component", C.ID, required=True, ref="components"),
        Column("share", C.SHARE),
        Column("capacity", C.NUMBER),
        Column("site_region", C.ID, ref="regions"),
        Column("source", C.TEXT),
    ),
    key=("firm", "component"),
)

SUPPLIES = Table(
    "supplies",
    (
        Column("supplier", C.ID, required=True, ref="firms"),
        Column("buyer", C.ID, required=True, ref="firms"),
        Column("component", C.ID, required=True, ref="components"),
        Column("share", C.SHARE),
        Column("volume", C.NUMBER),
        Column("since", C.DATE),
        Column("source", C.TEXT),
    ),
    key=("supplier", "buyer", "component"),
)

# Load order: every table comes after the tables its references point to.
TABLE_ORDER: tuple[str, ...] = (
    "regions",
    "firms",
    "chains",
    "components",
    "requires",
    "produces",
    "supplies",
)

TABLES: dict[str, Table] = {
    t.name: t for t in (REGIONS, FIRMS, CHAINS, COMPONENTS, REQUIRES, PRODUCES, SUPPLIES)
}

# Neo4j: the node label and key property for every table that is a node.
NODE_LABELS: dict[str, Label] = {
    "regions": Label.REGION,
    "firms": Label.FIRM,
    "components": Label.COMPONENT,
    "chains": Label.CHAIN,
}

# Neo4j: the unique key property of every label (one uniqueness constraint each;
# Community edition has no node-key constraints, so composite keys are one property).
LABEL_KEYS: dict[Label, str] = {
    **{label: TABLES[table].key[0] for table, label in NODE_LABELS.items()},
    Label.LOAD: "id",
    Label.BUNDLE: "name",
    Label.RESOLUTION: "key",
    Label.META: "key",
}

# Neo4j: the relationship type of every relation table. Its first two key columns name
# the start and end node; the rest of the key (supplies: component) is a property.
RELATION_TYPES: dict[str, RelType] = {
    "requires": RelType.REQUIRES,
    "produces": RelType.PRODUCES,
    "supplies": RelType.SUPPLIES,
}


@dataclass(frozen=True)
class Reference:
    """A reference column that Neo4j also holds as relationships (kept in step with it).

    The relationship runs from the row's node to each node the column names, or the
    other way when ``incoming``.
    """

    table: str
    column: str
    rel: RelType
    incoming: bool = False


REFERENCES: tuple[Reference, ...] = (
    Reference("regions", "parent", RelType.PART_OF),
    Reference("firms", "region", RelType.LOCATED_IN),
    Reference("firms", "controller", RelType.CONTROLLED_FROM),
    Reference("components", "chains", RelType.IN_CHAIN),
    Reference("chains", "leader_firms", RelType.LEADS, incoming=True),
)

# Neo4j: analysis results written back onto nodes (``chainrisk rank --write-back``) so
# that Browser and Bloom users can colour and size by them. They are not data: loads,
# reads and dumps never see them.
WRITE_BACK: tuple[str, ...] = (
    "risk_rank",
    "risk_score",
    "risk_chain",
    "risk_targets_lost",
    "risk_targets_lost_share",
    "risk_nodes_lost",
    "risk_sole_source_links",
    "risk_output_lost",
    "risk_concentration",
    "risk_betweenness",
    "risk_articulation_point",
    "spof_targets",
)

# Metadata keys of bundle.toml / bundle.yaml.
BUNDLE_FILES: tuple[str, ...] = ("bundle.toml", "bundle.yaml", "bundle.yml")
# What a bundle may say of how exact its market shares are (bundle.toml: shares = "…"):
# the Summary of every export says it, per bundle.
SHARE_QUALITIES: tuple[str, ...] = ("approximate", "reported")

BUNDLE_KEYS: tuple[str, ...] = (
    "name",
    "version",
    "description",
    "home_country",
    "home_region",
    "sources",
    "license",
    "note",
    "percent_columns",
    "shares",
)
DEFAULT_HOME_COUNTRY = "CN"


def qualified_id(kind: NodeKind, ident: str) -> str:
    """Return the graph id ``kind:ident`` of a region, firm or component.

    >>> qualified_id(NodeKind.FIRM, "tsmc")
    'firm:tsmc'
    """
    return f"{kind.value}:{ident}"


# How each column kind is held in a relational store (SQLite, the ingest workspace).
# Lists are kept as their canonical ';'-joined text; booleans as 0/1.
StorageValue = str | int | float | None

_SQL_TYPES: dict[ColumnKind, str] = {
    ColumnKind.BOOL: "INTEGER",
    ColumnKind.INTEGER: "INTEGER",
    ColumnKind.SHARE: "REAL",
    ColumnKind.NUMBER: "REAL",
}


def sql_type(kind: ColumnKind) -> str:
    """Return the SQLite column type that holds values of ``kind``.

    >>> sql_type(ColumnKind.SHARE), sql_type(ColumnKind.ID_LIST)
    ('REAL', 'TEXT')
    """
    return _SQL_TYPES.get(kind, "TEXT")


def to_storage(kind: ColumnKind, value: object) -> StorageValue:
    """Return the stored form of a normalised value.

    >>> to_storage(ColumnKind.ID_LIST, ("ic", "5g")), to_storage(ColumnKind.BOOL, True)
    ('ic;5g', 1)
    """
    if value is None:
        return None
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str | int | float):
        return value
    raise TypeError(f"cannot store {value!r} in a {kind.value} column")


def from_storage(kind: ColumnKind, value: StorageValue) -> object:
    """Return the normalised value of a stored one (inverse of :func:`to_storage`).

    >>> from_storage(ColumnKind.ID_LIST, "ic;5g"), from_storage(ColumnKind.BOOL, 0)
    (('ic', '5g'), False)
    """
    if value is None:
        return None
    if kind in (ColumnKind.ID_LIST, ColumnKind.TEXT_LIST):
        return tuple(str(value).split(";")) if value != "" else ()
    if kind is ColumnKind.BOOL:
        return bool(value)
    if kind is ColumnKind.NUMBER or kind is ColumnKind.SHARE:
        return float(value)
    return value
