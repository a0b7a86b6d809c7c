"""The one exception tree of chainrisk, split by who must act.

- :class:`InputError` and its children: the user's input is wrong; the message says
  how to fix it. Validation failures carry the full report.
- :class:`StoreError` and its children: the environment (a database) failed;
  :class:`StoreUnavailable` is worth retrying.

The library raises these; only ``cli.py`` and ``ui/`` turn them into messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chainrisk.ingest.report import LoadReport


class ChainriskError(Exception):
    """Base of every error chainrisk raises on purpose."""

    retryable: bool = False


class InputError(ChainriskError):
    """The user's input cannot be used as it is; the message says what to change."""


class UsageError(InputError):
    """An option or argument is wrong (unknown store URL, bad option value, …)."""


class BundleError(InputError):
    """A bundle cannot be read at all: missing folder or file, undecodable file, …"""


class ValidationFailed(InputError):
    """A bundle or supplier list has rows that failed validation; nothing was loaded.

    ``report`` lists every problem with its file, line, column, value and reason.
    """

    def __init__(self, message: str, report: LoadReport) -> None:
        super().__init__(message)
        self.report = report


class StoreError(ChainriskError):
    """A store failed in a way the user's input did not cause."""


class StoreUnavailable(StoreError):
    """The store cannot be reached now (locked, down, network); try again later."""

    retryable = True


class StoreSchemaError(StoreError):
    """The store's schema is missing or from another version; the message says how to fix it."""


class LimitExceeded(InputError):
    """An input is larger than a configured limit (file size, rows, cell, unpacked size).

    The message names the limit, the value found and the setting that raises it.
    """


class AnalysisTimeout(ChainriskError):
    """An analysis ran past its time limit and was stopped; nothing was changed.

    The message names the limit and the setting that raises it.
    """


class AccessDenied(ChainriskError):
    """The signed-in user (or nobody) may not see this chain or do this action."""
