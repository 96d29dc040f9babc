"""Benchmarks and synthetic data for Steward (not run by the test suite, except its own tests).

``python -m bench --list`` names the benchmarks; ``python -m bench.generate --people N`` fills
the configured database with synthetic people. See docs/development/benchmarks.md.
"""
