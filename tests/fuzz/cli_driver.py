"""Run many ``chainrisk`` command lines in one process, each under a time limit.

    python -m tests.fuzz.cli_driver JOBS.json RESULTS.jsonl

JOBS.json is a list of ``{"name", "argv", "store", "data_home"}``. Each job runs
``chainrisk.cli.main(argv)`` with ``CHAINRISK_STORE`` and ``XDG_DATA_HOME`` set as given
and an alarm of ``CHAINRISK_DRIVER_TIMEOUT`` seconds (default 60); one JSON line per job
is appended to RESULTS.jsonl: the exit status, stdout, stderr, and the traceback of
anything that escaped ``main`` (which the command line must never let happen). A line
``{"start": name}`` is written before each job, so a job that kills the process (a
memory cap, a crash) is still named. Starting Python once for every file instead of
once per file keeps the corpus run short on a busy machine.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any


def _alarm(signum: int, frame: Any) -> None:
    raise TimeoutError("the command ran past its time limit")


def main() -> int:
    from chainrisk import cli

    jobs = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    timeout = int(os.environ.get("CHAINRISK_DRIVER_TIMEOUT", "60"))
    signal.signal(signal.SIGALRM, _alarm)
    with open(sys.argv[2], "a", encoding="utf-8") as results:
        for job in jobs:
            results.write(json.dumps({"start": job["name"]}) + "\n")
            results.flush()
            os.environ["CHAINRISK_STORE"] = job["store"]
            os.environ["XDG_DATA_HOME"] = job["data_home"]
            out, err = io.StringIO(), io.StringIO()
            status: int | None = None
            escaped = ""
            signal.alarm(timeout)
            try:
                status = cli.main(job["argv"], out=out, err=err)
            except BaseException:  # anything escaping main is what this run looks for
                escaped = traceback.format_exc()
            finally:
                signal.alarm(0)
            results.write(json.dumps({
                "name": job["name"], "status": status, "out": out.getvalue(),
                "err": err.getvalue(), "escaped": escaped,
            }) + "\n")
            results.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
