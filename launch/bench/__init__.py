"""Benchmarks: jgen timed against the named competitor in the same run
(``python -m launch.bench.<name>``); each writes JSON and a table."""
