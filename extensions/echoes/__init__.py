"""ECHOES VRE in a notebook: the shared heritage catalogs, annotations and run helpers."""

__version__ = "0.1.0"
