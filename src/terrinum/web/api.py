"""The versioned JSON API, /api/v1/ (OpenAPI schema at /api/v1/openapi.json)."""

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError

from terrinum.diagnostic import dictionnaire
from terrinum.inclusion.api import router as inclusion_router
from terrinum.indicators.api import router as indicators_router
from terrinum.territories.api import router as territories_router

api = NinjaAPI(
    title="API Terrinum",
    version="1",
    description="Référentiel territorial et indicateurs numériques des territoires. Codes INSEE/SIREN.",
    urls_namespace="api-v1",
    docs_url="/docs",
)
api.add_router("/territoires", territories_router)
api.add_router("/", indicators_router)
api.add_router("/", inclusion_router)


class DictionaryOut(Schema):
    table: str
    colonne: str
    libelle: str
    unite: str | None
    calcul: str


@api.get("/indicateurs/dictionnaire", response=list[DictionaryOut], summary="Dictionnaire des données des tables d'indicateurs", tags=["indicateurs"])
def data_dictionary(request: HttpRequest, pilier: str | None = None):
    """Chaque colonne des tables d'indicateurs (`/connectivite-fixe`, `/connectivite-mobile`,
    `/fragilite`, et l'export `terrinum indicateurs accessibilite`) : libellé, unité, calcul."""
    try:
        return dictionnaire.rows(pilier)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc
