"""Shared plumbing for the Hidden Representations course: data, text, benchmarks, test helpers."""

__version__ = "0.1.0"
