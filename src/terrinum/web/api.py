"""The versioned JSON API, /api/v1/ (OpenAPI schema at /api/v1/openapi.json)."""

from ninja import NinjaAPI

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
