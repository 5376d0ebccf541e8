"""`terrinum ingest`: one file of a source kind declared by a pillar, parsed, then loaded
into the warehouse (one transaction, provenance, idempotence) with the pillar's transforms
run after, or into the operational app that holds it."""

from __future__ import annotations

from pathlib import Path

from terrinum.pillars import publication, source_kinds
from terrinum.sources.common import Problem, SourceError
from terrinum.warehouse import ingest as warehouse_ingest


def kind_of(source: str, path: Path):
    """(pillar, kind) of a source name, the path checked against it; SourceError naming the
    known kinds, or saying what the path should be, otherwise."""
    kinds = source_kinds()
    if source not in kinds:
        raise SourceError(Problem(path.name, None, None, f"source inconnue « {source} » (connues : {', '.join(kinds)})"))
    pillar, kind = kinds[source]
    if not path.exists():
        raise SourceError(Problem(str(path), None, None, "fichier ou dossier introuvable" if kind.folder else "fichier introuvable"))
    if kind.folder and not path.is_dir():
        raise SourceError(Problem(str(path), None, None, f"« {source} » lit un dossier de fichiers, pas un fichier"))
    if not kind.folder and path.is_dir():
        raise SourceError(Problem(str(path), None, None, f"c'est un dossier : « {source} » lit un fichier"))
    return pillar, kind


def ingest(
    con,
    source: str,
    path: Path,
    *,
    millesime: str | None = None,
    passage: dict[str, str] | None = None,
    accept_rejects: bool = False,
    crs: str | None = None,
    engine=None,
    progress=None,
):
    """Import one warehouse file; returns the ingest report. `engine` (terrinum.engines)
    runs the partitions of a partitioned kind (default: embedded), `progress(done, total)`
    hears of each one."""
    pillar, kind = kind_of(source, path)
    if kind.load is not None:
        raise SourceError(Problem(path.name, None, None, f"« {source} » va au registre, pas à l'entrepôt"))
    options = kind.options(con, crs) if kind.options else {}
    if kind.partitioned:
        options.update(engine=engine, progress=progress)
    elif engine is not None and engine.name != "local":
        raise SourceError(Problem(path.name, None, None, f"« {source} » se calcule sur cette machine seulement (--moteur local)"))
    report, parsed = warehouse_ingest.ingest_file(
        con,
        source,
        path,
        parse=kind.read,
        tables=list(kind.tables),
        pillar_tables=demo_tables(pillar, kind),
        millesime=millesime,
        passage=passage,
        accept_rejects=accept_rejects,
        parser_options=options,
        then=kind.transform,
        staged=kind.staged,
    )
    if report.remplace_demo:  # the pillar's demonstration rows are gone, from every table
        empty = {t.name for t in pillar.tables if not con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]}
        needed = [k.name for k in pillar.sources if k.load is None and {t.name for t in k.tables} & empty]
        if needed:
            report.notes.append(
                "les données de démonstration du pilier sont retirées (un pilier ne mélange jamais réel et démonstration) ; "
                f"ce fichier ne suffit pas à tous ses indicateurs : importez aussi {', '.join(needed)}"
            )
    return report


def demo_tables(pillar, kind) -> list:
    """The tables whose demonstration rows a real file of this kind replaces: those of its
    pillar, and those of every other pillar whose table it fills (the per-building import
    fills the technology pillar's table too)."""
    from terrinum.pillars import all_pillars

    owners = [pillar, *(p for p in all_pillars() if p is not pillar and set(p.tables) & set(kind.tables))]
    return list(dict.fromkeys(t for p in owners for t in p.tables))


def ingest_path(source: str, path: Path, on_wait=None, **options):
    """Import one file into the data directory's warehouse, as its next version (readers
    keep the current one meanwhile; a second import waits: `on_wait` says so), its
    published tables recomputed."""
    with publication.next_version(on_wait=on_wait) as con:
        return ingest(con, source, path, **options)


def load_elsewhere(source: str, path: Path, accept_rejects: bool = False):
    """Import one file of a kind held by an operational app (places...); returns its report."""
    _, kind = kind_of(source, path)
    return kind.load(kind.read(path), path, accept_rejects)
