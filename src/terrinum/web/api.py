"""The versioned JSON API, /api/v1/ (OpenAPI schema at /api/v1/openapi.json): the
référentiel, every registered pillar's routes, the operational apps' routes and the data
dictionary."""

from django.http import HttpRequest, JsonResponse
from ninja import NinjaAPI, Router, Schema
from ninja.errors import HttpError

from terrinum.apps.inclusion.api import router as inclusion_router
from terrinum.diagnostic import dictionnaire
from terrinum.pillars import all_pillars
from terrinum.territories.api import router as territories_router


class DictionaryOut(Schema):
    table: str
    colonne: str
    libelle: str
    unite: str | None
    calcul: str


def _dictionary_router() -> Router:
    router = Router(tags=["indicateurs"])

    @router.get("/indicateurs/dictionnaire", response=list[DictionaryOut], summary="Dictionnaire des données des tables d'indicateurs")
    def data_dictionary(request: HttpRequest, pilier: str | None = None):
        """Chaque colonne des tables d'indicateurs (`/connectivite-fixe`, `/connectivite-mobile`,
        `/fragilite`, et l'export `terrinum indicateurs accessibilite`) : libellé, unité, calcul."""
        try:
            return dictionnaire.rows(pilier)
        except ValueError as exc:
            raise HttpError(400, str(exc)) from exc

    return router


class TerrinumAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        """The view's own name: stable when code moves between modules (ninja's default
        prefixes the module path, which leaked the package layout into client code)."""
        return operation.view_func.__name__


def build_api(namespace: str = "api-v1") -> NinjaAPI:
    """The API with the routes of every pillar registered now."""
    api = TerrinumAPI(
        title="API Terrinum",
        version="1",
        description="Référentiel territorial et indicateurs numériques des territoires. Codes INSEE/SIREN.",
        urls_namespace=namespace,
        docs_url="/docs",
    )
    api.add_router("/territoires", territories_router)
    for pillar in all_pillars():
        if pillar.api is not None:
            api.add_router("/", pillar.api())
    api.add_router("/", inclusion_router)
    api.add_router("/", _dictionary_router())
    api.add_exception_handler(Exception, _server_error)
    return api


def _server_error(request: HttpRequest, exc: Exception):
    """An unexpected error in an API route: a JSON answer (API clients parse JSON), logged
    with its traceback like any server error, without the details."""
    import logging

    logging.getLogger("django.request").error("Erreur interne de l'API : %s", request.path, exc_info=exc)
    return JsonResponse({"detail": "Erreur interne du serveur : réessayez plus tard ou signalez-la."}, status=500)


api = build_api()
