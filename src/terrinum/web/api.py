"""The versioned JSON API, /api/v1/ (OpenAPI schema at /api/v1/openapi.json): the
référentiel, every registered pillar's routes, the operational apps' routes and the data
dictionary."""

from typing import Literal

from django.http import HttpRequest, JsonResponse
from ninja import Field, NinjaAPI, Path, Query, Router, Schema
from ninja.errors import HttpError

from terrinum.apps.inclusion.api import router as inclusion_router
from terrinum.apps.pass_numerique.api import router as pass_router
from terrinum.apps.rgpd.api import router as rgpd_router
from terrinum.apps.signalements.api import router as signalements_router
from terrinum.diagnostic import dictionnaire, document
from terrinum.pillars import all_pillars
from terrinum.territories import services
from terrinum.territories.api import router as territories_router
from terrinum.web.api_docs import FrenchDocs
from terrinum.web.partage_api import router as partage_router


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


class FigureOut(Schema):
    libelle: str
    valeur: float | int | str | None
    unite: str
    source: str
    millesime: str
    demo: bool


class PriorityOut(Schema):
    regle: str = Field(..., description="Identifiant de la règle (docs : méthode du diagnostic)")
    titre: str
    constat: str
    seuil: str = Field(..., description="Le seuil de la règle")
    chiffres: list[FigureOut] = Field(..., description="Les chiffres qui ont déclenché la règle, avec source et millésime")
    concernes: float = Field(..., description="Personnes ou locaux concernés")
    ecart: float = Field(..., description="Taille de l'écart, de 0 à 1")
    score: float = Field(..., description="concernes × ecart : l'ordre des priorités")
    demo: bool


class RuleOut(Schema):
    regle: str
    titre: str
    seuil: str
    resultat: str = Field(..., description="déclenchée, non déclenchée, ou non évaluable : données absentes")


class DiagnosticOut(Schema):
    territoire: dict
    date: str
    reference: str
    chiffres: dict = Field(..., description="Les chiffres de chaque pilier que lisent les règles (null : pas de données)")
    piliers: dict[str, str] = Field(..., description="Par pilier : reel, partiel (des chiffres de démonstration parmi des réels), demo ou absent")
    pairs: dict | None = Field(None, description="Les territoires pairs, leurs descripteurs, et pour chaque chiffre clé le rang et l'écart à la médiane")
    priorites: list[PriorityOut]
    regles: list[RuleOut]
    sources: list[dict] = Field(..., description="Les fichiers importés (provenance) : source, millésime, fichier, lignes, date")
    demo: bool
    sections: list[str]


def _diagnostic_router() -> Router:
    router = Router(tags=["diagnostic"])

    @router.get("/territoires/{niveau}/{code}/diagnostic", response=DiagnosticOut, summary="Diagnostic numérique d'un territoire")
    def diagnostic(
        request: HttpRequest,
        niveau: Literal["commune", "epci", "departement", "region", "pays"],
        code: str = Path(..., pattern=r"^[0-9A-Za-z]{1,9}$"),
        reference: str = Query(
            "pays", max_length=30, pattern=r"^(pays|(region|departement|epci):[0-9A-Za-z]{1,9})$", description="Territoire de comparaison de la fragilité"
        ),
    ):
        """Le diagnostic entier en JSON : les chiffres de chaque pilier, les territoires pairs,
        les priorités avec les chiffres qui les déclenchent, les règles vérifiées, les sources."""
        t = services.get(niveau, code)
        if t is None:
            raise HttpError(404, f"Aucun territoire de niveau {niveau} n'a le code {code}.")
        return document.compose(t, reference)

    return router


# The error answers every operation may give, documented once (a JSON body with `detail`).
ERRORS = {
    "400": "Requête invalide ; `detail` dit pourquoi",
    "401": "Compte requis : jeton (`Authorization: Bearer …`) ou session (routes du Pass numérique, du RGPD et du diagnostic partagé)",
    "403": "Ce compte n'a pas le droit de faire cette opération",
    "404": "Territoire, lieu, pilier, référence, chèque, collectivité, démarche ou données introuvables",
    "409": "Conflit : plusieurs territoires correspondent (préciser le code), ou chèque déjà utilisé, périmé, pas encore remis ; `detail` dit lequel",
    "422": "Paramètre mal formé (type, longueur, valeur permise) ; `detail` liste les paramètres en cause",
    "429": "Trop de codes erronés : réessayer dans quelques minutes",
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
        docs=FrenchDocs(),
    )
    api.add_router("/territoires", territories_router)
    for pillar in all_pillars():
        if pillar.api is not None:
            api.add_router("/", pillar.api())
    api.add_router("/", inclusion_router)
    api.add_router("/", pass_router)
    api.add_router("/", rgpd_router)
    api.add_router("/", signalements_router)
    api.add_router("/", partage_router)
    api.add_router("/", _dictionary_router())
    api.add_router("/", _diagnostic_router())
    api.add_exception_handler(Exception, _server_error)
    return api


def _server_error(request: HttpRequest, exc: Exception):
    """An unexpected error in an API route: a JSON answer (API clients parse JSON), logged
    with its traceback like any server error, without the details."""
    import logging

    logging.getLogger("django.request").error("Erreur interne de l'API : %s", request.path, exc_info=exc)
    return JsonResponse({"detail": "Erreur interne du serveur : réessayez plus tard ou signalez-la."}, status=500)


api = build_api()
