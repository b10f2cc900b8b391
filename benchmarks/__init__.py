"""Benchmarks of the mock servers and the resilient clients.

Run ``python -m benchmarks [--quick] [--out results/bench]`` from the repository
root with ``PYTHONPATH=.:libraries``. Each measurement lives in its own module
and returns a :class:`~benchmarks.model.Section`; :mod:`benchmarks.report`
writes them as Markdown, JSON and (when matplotlib is importable) a PNG plot.
Benchmarks print figures; they never assert anything about speed.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "1.0"
