"""Backup and restore of a Terrinum installation (`terrinum sauvegarde` / `restauration`).

What a backup holds (docs/fiabilite.md):
- `base.json`: every row of the relational database that people entered or that the platform
  logged (accounts, organisations, places and their history, login logs, admin log), as
  Django fixtures with natural keys, so that it restores into SQLite or PostgreSQL alike.
  Read in one snapshot transaction (PostgreSQL: REPEATABLE READ), consistent while the site
  runs. Left out, because they are rebuilt: the territorial reference (from the packaged
  sources, `terrinum init`), content types and permissions (migrations), sessions (people
  log in again).
- `warehouse.duckdb` and `immeubles/`: the analytical warehouse and its building positions,
  copied while holding the writers' lock (store.writers_paused): an import under way is
  waited for, and none publishes a new version during the copy.
- `manifeste.json`: format, date, database engine, reference key, row counts, and the
  SHA-256 of every file; a restore checks them all before it touches anything.

Secrets (the secret key, passwords of the database) are not in a backup: they come from the
environment of the installation restored into.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from terrinum.config import data_dir
from terrinum.pillars import publication
from terrinum.territories import loader
from terrinum.territories.models import Territory
from terrinum.warehouse import store

FORMAT = 1
MANIFEST = "manifeste.json"
DATABASE = "base.json"
WAREHOUSE = "warehouse.duckdb"
# Rebuilt rather than saved (see the module's docstring).
EXCLUDED_APPS = ("territories", "contenttypes", "sessions")
EXCLUDED_MODELS = ("auth.permission",)


class BackupError(Exception):
    """A backup or restore that cannot go on; nothing has been changed."""


def saved_models() -> list:
    """The models whose rows a backup holds."""
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label not in EXCLUDED_APPS and m._meta.label_lower not in EXCLUDED_MODELS and not m._meta.proxy and m._meta.managed
    ]


def _counts() -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.count() for m in saved_models()}


def _encode(value):
    """JSON for what Django's Python serializer leaves as objects, at full precision (Django's
    own JSON encoder cuts datetimes to the millisecond: a restore would not give back the
    same rows)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"valeur non sérialisable : {type(value).__name__}")


def _ordered_models() -> list:
    """The saved models, each after the models it refers to."""
    by_app: dict = {}
    for model in saved_models():
        by_app.setdefault(apps.get_app_config(model._meta.app_label), []).append(model)
    return serializers.sort_dependencies(by_app.items(), allow_cycles=True)


def _dump_database(path: Path) -> dict[str, int]:
    """The saved models' rows (natural keys for content types and users' permissions), read
    in one snapshot; returns their counts."""
    outer = connection.in_atomic_block  # already inside a transaction (tests): it is the snapshot
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cursor:  # the first statement of the transaction
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        counts = _counts()
        objects = []
        for model in _ordered_models():
            objects += serializers.serialize("python", model._default_manager.order_by("pk"), use_natural_foreign_keys=True)
    path.write_text(json.dumps(objects, default=_encode, ensure_ascii=False), encoding="utf-8")
    return counts


def _load_database(path: Path) -> None:
    """Save every row of the fixture, then move PostgreSQL's id sequences past them (rows keep
    their ids, which sequences did not hand out)."""
    for item in serializers.deserialize("python", json.loads(path.read_text(encoding="utf-8")), handle_forward_references=True):
        item.save()
    statements = connection.ops.sequence_reset_sql(no_style(), saved_models())
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _warehouse_key(con) -> str | None:
    row = con.execute("SELECT sha256 FROM provenance WHERE source = 'referentiel' ORDER BY charge_le DESC LIMIT 1").fetchone()
    return row[0] if row else None


def _warehouse_counts(con) -> dict[str, int]:
    tables = [n for (n,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def backup(target: Path, say: Callable[[str], None] = lambda _m: None) -> dict:
    """Write a backup into `target` (a new or empty folder); returns the manifest."""
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} existe et n'est pas un dossier vide : choisissez un nouveau dossier")
    partial = target.with_name(target.name + ".partiel")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        say("Base de données")
        counts = _dump_database(partial / DATABASE)
        manifest = {
            "format": FORMAT,
            "cree_le": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "moteur": connection.vendor,
            "lignes": counts,
            "referentiel": None,
            "entrepot": None,
        }
        say("Entrepôt analytique")
        source = store.warehouse_path()
        if source.exists():
            try:
                with store.writers_paused(source, lambda: say("Un import est en cours : attente de sa fin")), store.reader(source) as con:
                    shutil.copy2(source, partial / WAREHOUSE)
                    wal = source.with_name(source.name + ".wal")
                    if wal.exists():
                        shutil.copy2(wal, partial / (WAREHOUSE + ".wal"))
                    buildings = store.buildings_root(source)
                    if buildings.is_dir():
                        shutil.copytree(buildings, partial / store.BUILDINGS_FOLDER)
                    manifest["referentiel"] = _warehouse_key(con)
                    manifest["entrepot"] = _warehouse_counts(con)
            except store.Unavailable as exc:
                raise BackupError("l'entrepôt est en cours d'écriture (un import tourne) : relancez la sauvegarde après l'import") from exc
        say("Empreintes")
        manifest["fichiers"] = {
            str(p.relative_to(partial)): {"sha256": store.sha256_of(p), "octets": p.stat().st_size} for p in sorted(partial.rglob("*")) if p.is_file()
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        if target.exists():
            target.rmdir()
        partial.rename(target)  # a backup folder is complete, or absent
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def read_manifest(source: Path) -> dict:
    """The manifest of a backup, every file checked against its checksum."""
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} : pas de {MANIFEST}, ce n'est pas une sauvegarde Terrinum")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} : illisible ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} : format {manifest.get('format')!r} inconnu (attendu {FORMAT})")
    for name, meta in manifest.get("fichiers", {}).items():
        file = source / name
        if not file.is_file():
            raise BackupError(f"{file} : fichier manquant dans la sauvegarde")
        if file.stat().st_size != meta["octets"] or store.sha256_of(file) != meta["sha256"]:
            raise BackupError(f"{file} : contenu altéré (empreinte SHA-256 différente de celle du manifeste)")
    if DATABASE not in manifest.get("fichiers", {}):
        raise BackupError(f"{source} : {DATABASE} manquant")
    return manifest


def _has_data(root: Path) -> bool:
    return (root / WAREHOUSE).exists() or any(n for n in _counts().values())


def restore(source: Path, replace: bool = False, say: Callable[[str], None] = lambda _m: None) -> dict:
    """Restore a backup into the configured database and data directory. Refuses to overwrite
    existing data unless `replace`. Returns the manifest."""
    source = source.resolve()
    manifest = read_manifest(source)
    say("Migrations")
    call_command("migrate", verbosity=0, interactive=False)
    root = data_dir()
    if not replace and _has_data(root):
        raise BackupError(f"{root} ou la base contient déjà des données : restaurez dans une installation neuve, ou ajoutez --remplacer")
    say("Référentiel territorial")
    build = loader.build_or_cached(root / "cache")
    if Territory.objects.count() != len(build.territories):
        loader.load_reference(build)
    say("Base de données")
    with transaction.atomic():
        for model in reversed(saved_models()):
            model._default_manager.all().delete()
        _load_database(source / DATABASE)
        restored = _counts()
        if restored != manifest["lignes"]:
            raise BackupError(f"lignes restaurées {restored} ≠ lignes sauvegardées {manifest['lignes']} : rien n'est changé")
    if manifest.get("entrepot") is not None:
        say("Entrepôt analytique")
        root.mkdir(parents=True, exist_ok=True)
        incoming = root / (WAREHOUSE + ".restauration")
        shutil.copy2(source / WAREHOUSE, incoming)
        (root / (WAREHOUSE + ".wal")).unlink(missing_ok=True)  # a stale log would replay onto the restored file
        os.replace(incoming, root / WAREHOUSE)
        if (source / (WAREHOUSE + ".wal")).exists():
            shutil.copy2(source / (WAREHOUSE + ".wal"), root / (WAREHOUSE + ".wal"))
        buildings = store.buildings_root(root / WAREHOUSE)
        if buildings.exists():
            shutil.rmtree(buildings)
        if (source / store.BUILDINGS_FOLDER).is_dir():
            shutil.copytree(source / store.BUILDINGS_FOLDER, buildings)
        other_reference = manifest.get("referentiel") != loader.cache_key()
        with store.reader(root / WAREHOUSE) as con:
            unpublished = publication.identifier(con) is None  # saved before the published tables existed
        if other_reference or unpublished:  # else the warehouse is restored as it was saved
            with publication.next_version(root / WAREHOUSE) as con:
                if other_reference:  # the reference of this version of Terrinum
                    store.publish_reference_build(con, build, loader.cache_key())
    return manifest
