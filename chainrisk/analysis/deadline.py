"""Time limits for analyses: a deadline that the hot loops check now and then.

A pathological graph (a huge supply cycle, a very deep chain, a hub in thousands of
OR groups) can make an analysis run for hours. The service gives every public call a
:class:`Deadline` from ``limits.current().analysis_seconds``; the analyses call
:meth:`Deadline.check` between bounded pieces of work (every few thousand node
evaluations, every round around a cycle, every pivot of betweenness), and it raises
:class:`~chainrisk.errors.AnalysisTimeout` once the time is up. A check costs one clock
read, so the analyses check on a work counter rather than on every step.

Nothing is changed when an analysis stops: analyses are pure, and the service only
caches a result once it is complete.

Examples
--------
>>> Deadline(0).check()  # 0 (or None) means no limit: never trips
>>> late = Deadline(1e-9, call="the test").within("single points of failure")
>>> late.check()  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
chainrisk.errors.AnalysisTimeout: single points of failure (for the test) did not finish within \
the time limit of 1e-09 s...
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chainrisk.errors import AnalysisTimeout
from chainrisk.limits import ENV, describe

if TYPE_CHECKING:
    from chainrisk.graph import DependencyGraph

# Work units (node evaluations, set elements, members read) between two clock reads.
# At roughly 10-50 million units a second in these loops, a check comes every few ms.
CHECK_EVERY = 1 << 16

_clock = time.monotonic  # the tests replace it with a clock they step by hand


class Deadline:
    """A point in time after which :meth:`check` raises AnalysisTimeout.

    ``seconds`` of None or 0 means no limit. ``call`` names what the user asked for
    (e.g. the ranking of a chain); :meth:`within` names the analysis running inside
    it and the graph it runs on, for the message. Every copy made by :meth:`within`
    shares the same end.
    """

    __slots__ = ("_end", "_started", "call", "seconds", "size", "what")

    def __init__(self, seconds: float | None, *, call: str = "", what: str = "the analysis",
                 size: str = "") -> None:
        self.seconds = float(seconds) if seconds else 0.0
        self.call = call
        self.what = what
        self.size = size
        self._started = _clock()
        self._end: float | None = self._started + self.seconds if self.seconds > 0 else None

    @property
    def limited(self) -> bool:
        """Return whether there is a limit at all."""
        return self._end is not None

    def within(self, what: str, graph: DependencyGraph | None = None) -> Deadline:
        """Return a deadline with the same end, naming the analysis ``what`` (on ``graph``)."""
        inner = Deadline.__new__(Deadline)
        inner.seconds = self.seconds
        inner.call = self.call
        inner.what = what
        inner.size = self.size if graph is None else (
            f"{graph.n_nodes:,} nodes and {len(graph.members):,} links"
        )
        inner._started = self._started
        inner._end = self._end
        return inner

    def expired(self) -> bool:
        """Return whether the time is up."""
        return self._end is not None and _clock() >= self._end

    def check(self) -> None:
        """Raise AnalysisTimeout when the time is up; return at once otherwise."""
        if self._end is not None and _clock() >= self._end:
            raise AnalysisTimeout(self.message(), code="timeout.analysis",
                                  params={"seconds": f"{self.seconds:g}",
                                          "setting": ENV["analysis_seconds"]})

    def message(self) -> str:
        """Return what stopped, the limit, the graph's size and how to raise the limit."""
        what = f"{self.what} (for {self.call})" if self.call else self.what
        on = f" on a graph of {self.size}" if self.size else ""
        return (
            f"{what} did not finish within the time limit of {self.seconds:g} s{on}, so it "
            f"was stopped and nothing was kept. To let it run longer, "
            f"{describe('analysis_seconds', self.seconds)}; or analyse a smaller store."
        )


NO_LIMIT = Deadline(None)
"""The deadline of a call that has none (the default of every analysis)."""
