"""Benchmarks for chatsite: load generator, reference server, runner (see bench/README.md)."""
