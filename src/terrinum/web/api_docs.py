"""The API's documentation page (/api/v1/docs), in French, written by the server from the
OpenAPI schema: every operation with its parameters (where, type, constraints, whether
required) and its answers. It replaces Swagger UI, whose labels are English and whose page
axe found six accessibility violations in; the schema stays at /api/v1/openapi.json for
client generators and interactive tools."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

WHERE = {"path": "chemin", "query": "paramètre d'URL", "header": "en-tête", "cookie": "cookie"}
GROUPS = {"diagnostic-partage": "Diagnostic partagé", "pass-numerique": "Pass numérique", "rgpd": "Registres RGPD", "indicateurs": "Indicateurs",
          "lieux": "Lieux d'accompagnement", "territoires": "Territoires", "diagnostic": "Diagnostic"}  # fmt: skip
TYPES = {"string": "texte", "integer": "entier", "number": "nombre", "boolean": "oui/non (true/false)", "array": "liste", "object": "objet"}


def _type(schema: dict, components: dict) -> str:
    """A parameter's type in words, with its constraints."""
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "anyOf" in schema:
        return " ou ".join(_type(s, components) for s in schema["anyOf"] if s.get("type") != "null")
    if "enum" in schema:
        return "une valeur parmi : " + ", ".join(str(v) for v in schema["enum"])
    words = [TYPES.get(schema.get("type", ""), schema.get("type", "—"))]
    if schema.get("type") == "array" and "items" in schema:
        words = [f"liste de {_type(schema['items'], components)}"]
    for key, say in (("minimum", "au moins"), ("maximum", "au plus"), ("minLength", "longueur au moins"), ("maxLength", "longueur au plus")):
        if key in schema:
            words.append(f"{say} {schema[key]}")
    if "pattern" in schema:
        words.append(f"forme {schema['pattern']}")
    if "default" in schema:
        words.append(f"par défaut {schema['default']}")
    return ", ".join(words)


def operations(schema: dict) -> list[dict]:
    """The operations of the schema, grouped by their first tag, as the page shows them."""
    components = schema.get("components", {}).get("schemas", {})
    out = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {
                    "nom": p["name"],
                    "ou": WHERE.get(p.get("in", ""), p.get("in", "")),
                    "obligatoire": p.get("required", False),
                    "type": _type(p.get("schema", {}), components),
                    "description": p.get("description") or p.get("schema", {}).get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            out.append(
                {
                    "ancre": op.get("operationId", f"{method}-{path}"),
                    "methode": method.upper(),
                    "chemin": path,
                    "resume": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "groupe": GROUPS.get((op.get("tags") or ["autres"])[0], (op.get("tags") or ["autres"])[0]),
                    "parametres": params,
                    "corps": "requestBody" in op,
                    "reponses": [
                        {"code": code, "description": r.get("description", "").replace("`", "")}
                        for code, r in sorted(op.get("responses", {}).items(), key=lambda cr: str(cr[0]))
                    ],
                }
            )
    return sorted(out, key=lambda o: (o["groupe"], o["chemin"], o["methode"]))


class FrenchDocs(DocsBase):
    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        ops = operations(schema)
        groups: dict[str, list[dict]] = {}
        for op in ops:
            groups.setdefault(op["groupe"], []).append(op)
        context = {"info": schema.get("info", {}), "groupes": groups, "schema_url": self.get_openapi_url(api, kwargs)}
        return render(request, "web/api_docs.html", context)
