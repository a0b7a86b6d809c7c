"""Pure analyses on the compiled dependency graph: graph in, frozen result out.

Nothing here imports a store, the driver, Streamlit or the CLI.
"""

from chainrisk.analysis.cascade import CascadeResult, simulate
from chainrisk.analysis.spof import SpofResult, single_points_of_failure

__all__ = ["CascadeResult", "SpofResult", "simulate", "single_points_of_failure"]
