"""Exports analysts can trust: a chain's rankings and findings as xlsx, csv or json."""

from chainrisk.report.tables import ExportTables, Table, build_tables
from chainrisk.report.writers import export, safe_text, write_csv, write_json, write_xlsx

__all__ = [
    "ExportTables",
    "Table",
    "build_tables",
    "export",
    "safe_text",
    "write_csv",
    "write_json",
    "write_xlsx",
]
