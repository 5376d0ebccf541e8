"""Signalements de couverture mobile: élus and agents report poorly covered zones, each
report is checked against the coverage data, and the département's New Deal project team
groups, ranks and decides (docs/couverture.md)."""
