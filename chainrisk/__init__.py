"""chainrisk: supply-chain risk graph analyzer for key industrial chains.

The public surface is small: read bundles with :mod:`chainrisk.ingest`, keep them in
a store from :func:`chainrisk.store.open_store`, and drive everything from the
``chainrisk`` command (:mod:`chainrisk.cli`).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chainrisk")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
