"""Independent reference implementations used by differential tests.

`pandas_metrics.reference_counts` recomputes the local metrics of `docs/local-metrics.md` in plain pandas/Python,
written from the specification only (never from `src/chiso/engine/`), so that the engine can be checked against it.
"""

from tests.reference.pandas_metrics import ALL_METRICS, reference_counts

__all__ = ["ALL_METRICS", "reference_counts"]
