"""Pure analyses on the compiled dependency graph: graph in, frozen result out.

Nothing here imports a store, the driver, Streamlit or the CLI. Every analysis takes an
optional :class:`Deadline` and stops with AnalysisTimeout when it passes.
"""

from chainrisk.analysis.cascade import CascadeResult, simulate
from chainrisk.analysis.deadline import Deadline
from chainrisk.analysis.spof import SpofResult, single_points_of_failure

__all__ = ["CascadeResult", "Deadline", "SpofResult", "simulate", "single_points_of_failure"]
