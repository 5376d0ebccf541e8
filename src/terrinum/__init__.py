"""Terrinum: the shared digital diagnostic of French territories."""

import os

__version__ = "0.1.0"

# DuckDB allocates through its own jemalloc, which by default keeps freed pages for ten
# seconds: a server process that has just answered a heavy request (the fragility index of
# every commune against a département) then holds some hundred megabytes it no longer uses,
# and the next heavy request adds its own on top. Returned at once instead: the peak memory
# of a worker goes down by about 100 MB, with no measurable cost on the warehouse's queries
# (docs/notes-techniques.md, « Mémoire d'un processus »). Set before anything imports duckdb
# (every module of Terrinum is imported after this one); an operator's own setting wins.
os.environ.setdefault("DUCKDB_JE_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
