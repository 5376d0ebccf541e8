"""The versioned JSON API, /api/v1/ (OpenAPI schema at /api/v1/openapi.json): the
référentiel, every registered pillar's routes, the operational apps' routes and the data
dictionary."""

from django.http import HttpRequest, JsonResponse
from ninja import NinjaAPI, Query, Router, Schema
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
    def data_dictionary(request: HttpRequest, pilier: str | None = Query(None, min_length=1, max_length=60, description="Une seule table (ex. fragilite)")):
        """Chaque colonne des tables d'indicateurs (`/connectivite-fixe`, `/connectivite-mobile`,
        `/fragilite`, et l'export `terrinum indicateurs accessibilite`) : libellé, unité, calcul."""
        try:
            return dictionnaire.rows(pilier)
        except ValueError as exc:  # no such table
            raise HttpError(404, str(exc)) from exc

    return router


# The error answers every operation may give, documented once (a JSON body with `detail`).
ERRORS = {
    "400": "Requête invalide ; `detail` dit pourquoi",
    "404": "Territoire, lieu, pilier, référence ou données introuvables",
    "409": "Plusieurs territoires correspondent au paramètre `territoire` : préciser (code, niveau:code) ; `detail` les cite",
    "422": "Paramètre mal formé (type, longueur, valeur permise) ; `detail` liste les paramètres en cause",
    "500": "Erreur interne du serveur",
    "503": "Entrepôt de données momentanément indisponible (import en cours) : réessayer",
}
ERROR_SCHEMA = {
    "title": "Erreur",
    "type": "object",
    "properties": {"detail": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]}},
    "required": ["detail"],
}


class TerrinumAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Ninja's schema, with the error answers of every operation documented."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Erreur"] = ERROR_SCHEMA
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, description in ERRORS.items():
                    operation["responses"].setdefault(
                        status, {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}}}
                    )
        return schema

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
