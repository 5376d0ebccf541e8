"""The diagnostic: composition of a territory's report from the pillars' sections
(report.py), and the data dictionary of the published tables (dictionnaire.py)."""
