"""The Streamlit app for chain chiefs: pages under ``chainrisk.ui.pages``, entry ``app.py``.

:func:`run` starts it the way ``chainrisk ui`` does: bound to the loopback address by
default, headless, with usage statistics off, so that nothing leaves the machine.
Importing this package does not import Streamlit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from chainrisk.errors import UsageError

APP = Path(__file__).resolve().parent.parent.parent / "app.py"


def command(host: str = "127.0.0.1", port: int = 8501, app: Path = APP) -> list[str]:
    """Return the command line that serves the app on ``host:port``.

    >>> command(port=9000)[3:6] == ["run", str(APP), "--server.address"]
    True
    """
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "viewer",
        "--theme.base", "light",
    ]


def run(host: str = "127.0.0.1", port: int = 8501, store: str | None = None) -> int:
    """Serve the app until interrupted; return Streamlit's exit status.

    ``store`` names the store URL (default: $CHAINRISK_STORE, else the default store).
    """
    if not APP.is_file():
        raise UsageError(
            f"the app entry {APP} is missing: run chainrisk ui from a clone of the "
            "repository (pip install -e .)"
        )
    env = dict(os.environ)
    if store:
        env["CHAINRISK_STORE"] = store
    try:
        return subprocess.call(command(host, port), env=env)
    except KeyboardInterrupt:
        return 0


__all__ = ["command", "run"]
