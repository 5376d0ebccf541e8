"""Indicator definitions per pillar, computed at commune level and rolled up."""
