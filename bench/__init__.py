"""Benchmarks: a large-dataset generator, a page and API bench, and the pre-session check in process."""
