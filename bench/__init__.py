"""Benchmarks against the real Asterisk; figures go to docs/benchmarks.md."""
