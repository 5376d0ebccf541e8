"""The DPO's own models: an activity of a register becomes a model of the structure (new
versions, never an edit), copied like the packaged ones; an activity is copied to other
registers in one transaction with its report; the packaged models stay, marked as such."""

from __future__ import annotations

import pytest

from terrinum.apps.rgpd import modeles, services
from terrinum.apps.rgpd.models import Activite, ModeleActivite, Trace
from terrinum.apps.rgpd.services import Refused

pytestmark = pytest.mark.django_db


def _own_activity(c, who):
    a = Activite(collectivite=c, nom="Portail famille", finalites="Inscriptions aux services périscolaires en ligne", base_legale="mission-publique",
                 justification="CGCT", personnes=["Familles"], destinataires=[{"nom": "Service enfance", "type": "interne"}], mesures=["controle-acces"],
                 source="Les familles")  # fmt: skip
    return services.save_activity(a, who, donnees=[{"categorie": "Identité des enfants", "duree": "Durée de la scolarité", "sort_final": "destruction"}])


def test_an_activity_becomes_a_versioned_model_copied_to_registers(rgpd_world, client):
    org, col, users = rgpd_world
    a = _own_activity(col["signy"], users["dpo"])
    v1 = services.save_as_model(a, org["ardennes"], users["dpo"])
    assert services.save_as_model(a, org["ardennes"], users["dpo"]).pk == v1.pk  # same text: same version
    a.finalites += " et paiement"
    services.save_activity(a, users["dpo"])
    v2 = services.save_as_model(a, org["ardennes"], users["dpo"])
    assert (v1.version, v2.version) == (1, 2) and ModeleActivite.objects.get(pk=v1.pk).contenu["finalites"].endswith("en ligne")
    with pytest.raises(Refused, match="seul le DPO"):
        services.save_as_model(a, org["ardennes"], users["referent"])
    assert [m.pk for m in services.own_models(users["dpo"])] == [v2.pk] and services.own_models(users["dpo-creuse"]) == []
    done = services.duplicate(v2.cle, [col["rethel"], col["ccas"]], users["dpo"])
    assert done == {"creees": 2, "deja_presentes": 0}
    copy = Activite.objects.get(collectivite=col["rethel"], nom="Portail famille")
    assert (copy.finalites, copy.source, copy.modele, copy.donnees.get().duree) == (a.finalites, "Les familles", v2.cle, "Durée de la scolarité")
    with pytest.raises(Refused, match="modèle inconnu"):
        services.duplicate(v2.cle, [col["gueret"]], users["dpo-creuse"])  # another structure's model
    # the dashboard offers both, the packaged ones marked as Terrinum's
    client.force_login(users["dpo"])
    page = client.get("/rgpd/").content.decode()
    assert "Modèles de Terrinum (d&#x27;après les guides de la CNIL)" in page or "Modèles de Terrinum (d'après les guides de la CNIL)" in page
    assert f'value="{v2.cle}"' in page and "version 2" in page and len(modeles.MODELS) == 11


def test_an_activity_is_copied_to_other_registers_with_a_report(rgpd_world, client):
    org, col, users = rgpd_world
    a = _own_activity(col["signy"], users["dpo"])
    services.save_activity(Activite(collectivite=col["rethel"], nom="Portail famille", finalites="x", base_legale="mission-publique"), users["dpo"])
    client.force_login(users["dpo"])
    answer = client.post(f"/rgpd/activites/{a.pk}/", {"action": "copier", "collectivites": [col["rethel"].pk, col["ccas"].pk]})
    assert answer.status_code == 200 and "Activité copiée dans 1 registre(s) ; 1 en avaient déjà une de ce nom" in answer.content.decode()
    assert Trace.objects.filter(collectivite=col["ccas"], action=f"copiée du modèle « activite-{a.pk} »").exists()
    made = client.post(f"/rgpd/activites/{a.pk}/", {"action": "modele", "structure": org["ardennes"].pk})
    assert "Modèle « Portail famille » de Ardennes Numérique (mutualisation), version 1" in made.content.decode()
    client.force_login(users["gestionnaire"])  # keeps Signy's register, runs no structure
    page = client.get(f"/rgpd/activites/{a.pk}/").content.decode()
    assert "Copier cette activité" not in page
    assert client.post(f"/rgpd/activites/{a.pk}/", {"action": "modele", "structure": org["ardennes"].pk}).status_code == 403
