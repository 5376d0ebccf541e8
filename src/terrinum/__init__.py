"""Terrinum: the shared digital diagnostic of French territories."""

__version__ = "0.1.0"
