"""Deterministic sample data for the pipelines: realistic inputs, good and bad, for demos and tests."""
