"""API routes of the digital-fragility pillar."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from terrinum.pillars.fragilite import indicators as fr
from terrinum.pillars.http import Niveau, Pages, indicator_list, warehouse, within


class FragilityOut(Schema):
    code: str
    nom: str
    niveau: str
    demo: bool = Field(..., description="Vrai si l'indice repose au moins en partie sur des données de démonstration")
    indice_global: float | None = Field(None, description="Indice de fragilité numérique, de 1 (risque le plus faible) à 10 (le plus élevé)")
    score_part_locaux_sans_30mbits: float | None
    score_part_pop_sans_4g: float | None
    score_tx_65etplus: float | None
    score_tx_nscol15p: float | None
    score_tx_pauvrete: float | None
    indicateurs_utilises: str = Field(..., description="Critères entrés dans l'indice")
    reference: str = Field(..., description="Territoire de comparaison : pays, region:CODE, departement:CODE, epci:CODE")
    indice_reference: float | None = Field(None, description="Indice du territoire de comparaison")
    ecart_reference: float | None = Field(None, description="Indice du territoire − indice de la comparaison, en points ; positif = plus fragile")
    couverture_donnees_pct: float | None = Field(None, description="Part des communes ayant toutes les données du recensement")
    couverture_pauvrete_pct: float | None
    personnes_a_risque_bas: float | None
    personnes_a_risque_haut: float | None
    part_locaux_sans_30mbits: float | None
    part_pop_sans_4g: float | None
    tx_nscol15p: float | None
    tx_menseul: float | None
    tx_fammono: float | None
    tx_65etplus: float | None
    tx_25etmoins: float | None
    tx_demandeurs_emploi: float | None
    tx_pauvrete: float | None
    population: int | None
    source: str


class FragilityFilters(Schema):
    territoire: str | None = Field(None, max_length=200, description="Limiter aux unités situées dans ce territoire")
    reference: str = Field(
        "pays",
        max_length=30,
        pattern=r"^(pays|(region|departement|epci):[0-9A-Za-z]{1,9})$",
        description="Territoire de comparaison : pays, region:CODE, departement:CODE ou epci:CODE",
    )


def router() -> Router:
    router = Router(tags=["indicateurs"])

    @router.get("/fragilite/{niveau}", response=list[FragilityOut], summary="Indice de fragilité numérique à un niveau")
    @paginate(Pages)
    def fragility(request: HttpRequest, niveau: Niveau, filters: Query[FragilityFilters]):
        scope = within(filters.territoire)
        try:
            adjust = None
            if filters.reference != "pays":
                with warehouse() as con:
                    adjust = fr.compared_with(con, filters.reference)
            return indicator_list(
                fr.PILIER,
                niveau,
                scope,
                lambda con: fr.indicator_rows(con, niveau, within=scope, reference=filters.reference),
                options=(filters.reference,) if filters.reference != "pays" else (),
                adjust=adjust,
            )
        except ValueError as exc:
            raise HttpError(404, str(exc)) from exc  # no data for this reference

    return router
