"""The results and defaults of the service's data operations, for the front ends.

The command line and the app read these types (what a load or an import reported, what
a store holds) and show them; they import them from here, not from the loaders or the
stores that make them. The supplier importer's names load its spreadsheet readers, so
they are imported when first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chainrisk.ingest.csvfile import DEFAULT_ENCODING
from chainrisk.ingest.report import LoadReport
from chainrisk.store.base import LoadRecord, StoreInfo

if TYPE_CHECKING:
    from chainrisk.ingest.suppliers import UNKNOWN_REGION, ImportReport

__all__ = ["DEFAULT_ENCODING", "UNKNOWN_REGION", "ImportReport", "LoadRecord", "LoadReport",
           "StoreInfo"]

_LAZY = frozenset({"UNKNOWN_REGION", "ImportReport"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from chainrisk.ingest import suppliers

        return getattr(suppliers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
