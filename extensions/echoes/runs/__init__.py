"""Runs you can trust: papermill runs with run records, re-execution with a verdict, RO-Crates."""
