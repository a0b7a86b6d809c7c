"""The one exception tree of chainrisk, split by who must act.

- :class:`InputError` and its children: the user's input is wrong; the message says
  how to fix it. Validation failures carry the full report.
- :class:`StoreError` and its children: the environment (a database) failed;
  :class:`StoreUnavailable` is worth retrying.

The library raises these; only ``cli/`` and ``ui/`` turn them into messages.

Every error carries a ``code`` and ``params`` besides its English text: ``str(e)`` is
the message the command line prints (its remedy worded with the CLI's flags), while
the app words the same error from :mod:`chainrisk.words` by its code, in the user's
language and with the app's own remedy.

>>> e = UsageError("unknown chain 'x'", code="usage.unknown_chain",
...                params={"chain": "x", "known": "ic"})
>>> str(e), e.code, e.params["chain"]
("unknown chain 'x'", 'usage.unknown_chain', 'x')
>>> StoreUnavailable("locked").code
'store.unavailable'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chainrisk.ingest.report import LoadReport


class ChainriskError(Exception):
    """Base of every error chainrisk raises on purpose.

    ``code`` names the kind of problem for translation (the class's ``default_code``
    when the raise site gives none); ``params`` holds the values its wording fills in.
    """

    retryable: bool = False
    default_code: str = "error"

    def __init__(self, *args: object, code: str | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        super().__init__(*args)
        self.code = code or self.default_code
        self.params: dict[str, Any] = dict(params or {})


class InputError(ChainriskError):
    """The user's input cannot be used as it is; the message says what to change."""

    default_code = "input"


class UsageError(InputError):
    """An option or argument is wrong (unknown store URL, bad option value, …)."""

    default_code = "usage"


class BundleError(InputError):
    """A bundle cannot be read at all: missing folder or file, undecodable file, …"""

    default_code = "bundle"


class ValidationFailed(InputError):
    """A bundle or supplier list has rows that failed validation; nothing was loaded.

    ``report`` lists every problem with its file, line, column, value and reason.
    """

    default_code = "validation.failed"

    def __init__(self, message: str, report: LoadReport, *, code: str | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, code=code, params=params)
        self.report = report


class StoreError(ChainriskError):
    """A store failed in a way the user's input did not cause."""

    default_code = "store"


class StoreUnavailable(StoreError):
    """The store cannot be reached now (locked, down, network); try again later."""

    retryable = True
    default_code = "store.unavailable"


class StoreSchemaError(StoreError):
    """The store's schema is missing or from another version; the message says how to fix it."""

    default_code = "store.schema"


class LimitExceeded(InputError):
    """An input is larger than a configured limit (file size, rows, cell, unpacked size).

    The message names the limit, the value found and the setting that raises it.
    """

    default_code = "limit"


class AnalysisTimeout(ChainriskError):
    """An analysis ran past its time limit and was stopped; nothing was changed.

    The message names the limit and the setting that raises it.
    """

    default_code = "timeout"


class AccessDenied(ChainriskError):
    """The signed-in user (or nobody) may not see this chain or do this action."""

    default_code = "denied"
