"""Benchmarks run by hand (``make bench``); their figures go to docs/benchmarks.md."""
