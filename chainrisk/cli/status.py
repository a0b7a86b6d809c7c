"""The exit statuses of the ``chainrisk`` command, its parser class, the shape of a command.

0 success, 1 the input has problems (the report says which), 2 wrong usage, 3 the store
failed, 124 an analysis ran past its time limit (CHAINRISK_ANALYSIS_SECONDS).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TextIO

from chainrisk.service import redact_text

EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_STORE = 3
EXIT_TIMEOUT = 124  # an analysis hit CHAINRISK_ANALYSIS_SECONDS (124, as timeout(1) exits)


class Parser(argparse.ArgumentParser):
    """argparse, except that a usage error never prints a password back: argparse quotes
    the arguments it could not use, and a store URL may hold one."""

    def error(self, message: str) -> NoReturn:
        super().error(redact_text(message))


# A command: the parsed options, stdout, stderr -> the exit status.
Command = Callable[[argparse.Namespace, TextIO, TextIO], int]
# What a module of commands adds its subparsers to (``parser.add_subparsers()``); generic
# only to the type checker.
if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[Parser]
else:
    Commands = argparse._SubParsersAction
