"""Maturity: a questionnaire per domain on four levels, scored per domain, kept with its
history; a structure's DPO writes its own référentiel as new versions, never editing in place;
every question must be answered; only the collectivité's keepers record an evaluation."""

from __future__ import annotations

import json

import pytest

from terrinum.apps.rgpd import maturite, rapport
from terrinum.apps.rgpd.models import EvaluationMaturite, Referentiel
from terrinum.apps.rgpd.services import Refused

pytestmark = pytest.mark.django_db


def _all(ref, level=3, **overrides):
    answers = {f"{d['cle']}.{q['cle']}": level for d in ref.domaines for q in d["questions"]}
    return answers | overrides


def test_an_evaluation_is_scored_per_domain_and_kept(rgpd_world, client):
    org, col, users = rgpd_world
    c = col["signy"]
    ref = maturite.packaged()
    assert maturite.packaged().pk == ref.pk  # created once
    with pytest.raises(Refused, match="sans réponse"):
        maturite.record(c, users["gestionnaire"], ref, {"gouvernance.dpo": 3})
    with pytest.raises(Refused):
        maturite.record(c, users["dpo-creuse"], ref, _all(ref))
    first = maturite.record(c, users["gestionnaire"], ref, _all(ref, 1))
    second = maturite.record(c, users["gestionnaire"], ref, _all(ref, 3, **{"securite.acces": 0, "securite.papier": 0}))
    assert first.score() == 33 and dict(second.par_domaine())["Sécurité des données"] == 50 and dict(second.par_domaine())["Gouvernance"] == 100
    assert second.score() == round((100 * 6 + 50) / 7)
    client.force_login(users["gestionnaire"])
    page = client.get(f"/rgpd/{c.pk}/").content.decode()
    assert "Évaluations de maturité" in page and 'aria-label="Maturité par domaine' in page and "Sécurité des données : 50" in page
    posted = client.post(f"/rgpd/{c.pk}/", {"action": "maturite", "referentiel": ref.pk, **{f"m-{k}": "2" for k in _all(ref)}})
    assert posted.status_code == 200 and "Maturité enregistrée : 67 / 100" in posted.content.decode()
    assert EvaluationMaturite.objects.filter(collectivite=c).count() == 3


def test_a_dpo_writes_a_referentiel_in_versions(rgpd_world, client):
    org, col, users = rgpd_world
    packaged = maturite.packaged()
    client.force_login(users["dpo"])
    text = client.get(f"/rgpd/referentiels/{packaged.pk}.json").content
    data = json.loads(text)
    data["domaines"][0]["questions"].append({"cle": "budget", "texte": "La conformité a un budget."})
    v1 = maturite.save_referentiel(org["ardennes"], users["dpo"], "Référentiel des Ardennes", json.dumps(data).encode())
    assert maturite.save_referentiel(org["ardennes"], users["dpo"], "Référentiel des Ardennes", json.dumps(data).encode()).pk == v1.pk  # same text
    data["domaines"].pop()
    v2 = maturite.save_referentiel(org["ardennes"], users["dpo"], "Référentiel des Ardennes", json.dumps(data).encode())
    assert (v1.version, v2.version) == (1, 2) and Referentiel.objects.get(pk=v1.pk).domaines != v2.domaines
    assert [r.pk for r in maturite.referentiels_for(col["signy"])] == [packaged.pk, v2.pk]
    assert maturite.referentiels_for(col["gueret"]) == [packaged]  # another structure's référentiel is not offered
    for bad, said in (
        (b"[]", "une liste de domaines"),
        (json.dumps([{"cle": "a", "titre": "A", "questions": []}]).encode(), "au moins une question"),
        (b"{pas du json", "pas un JSON lisible"),
    ):
        with pytest.raises(Refused, match=said):
            maturite.save_referentiel(org["ardennes"], users["dpo"], "X", bad)
    with pytest.raises(Refused, match="seul le DPO"):
        maturite.save_referentiel(org["ardennes"], users["dpo-creuse"], "X", json.dumps(data).encode())
    made = maturite.record(col["signy"], users["dpo"], v2, _all(v2, 2))
    with pytest.raises(Refused, match="n'est pas celui d'une structure"):
        maturite.record(col["gueret"], users["dpo-creuse"], v2, _all(v2, 2))
    assert made.referentiel.version == 2
    found = rapport.for_collectivite(col["signy"], made.faite_le.year)
    assert any(t.titre.startswith("Maturité (évaluation du") and t.lignes[-1] == ["Ensemble", 67] for t in found.tables)
    client.force_login(users["dpo-creuse"])
    assert client.get(f"/rgpd/referentiels/{v2.pk}.json").status_code == 404
