"""Analytical store: a DuckDB file in the data directory, with provenance and rollups."""
