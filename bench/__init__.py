"""Benchmark of a generated project against the stock FastAPI Users setup: `python -m bench`."""
