"""Benchmarks, run by hand (``make bench``); they print figures and ratios. Results go to docs/benchmarks.md."""
