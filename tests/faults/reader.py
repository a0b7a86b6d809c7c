"""Read a store again and again while loads commit to it; say what each read saw.

    python -m tests.faults.reader STORE_URL STOP_FILE

Until STOP_FILE exists, each round prints one JSON line: the revision markers on the
rows of every table, read in one snapshot (``revisions``), and the fingerprint of the
graph compiled through RiskService the way the app does it (``graph``). Run as a child
of tests/faults/test_concurrency.py, beside a process that loads.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from chainrisk.graph import DependencyGraph
from chainrisk.service import RiskService
from chainrisk.store import open_store
from tests.faults.workload import revisions_seen


def fingerprint(graph: DependencyGraph) -> str:
    """Return a hash of everything the analyses take from a compiled graph."""
    digest = hashlib.sha256()
    for text in (graph.ids, graph.names, graph.names_zh, graph.group_label):
        digest.update(json.dumps(text, ensure_ascii=False).encode())
    for array in (graph.kind, graph.group_ptr, graph.group_owner, graph.group_kind,
                  graph.group_ref, graph.member_ptr, graph.members, graph.weights,
                  graph.share_given):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(json.dumps(sorted(graph.firm_region.items())).encode())
    return digest.hexdigest()


def main(url: str, stop: Path) -> None:
    store = open_store(url)
    try:
        while not stop.exists():
            revisions = {t: sorted(v, key=str) for t, v in revisions_seen(store).items()}
            graph = fingerprint(RiskService(store).graph())
            print(json.dumps({"revisions": revisions, "graph": graph}), flush=True)
    finally:
        store.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
