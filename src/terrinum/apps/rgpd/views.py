"""Pages of the RGPD registers: the dashboard across collectivités (/rgpd/), a collectivité's
file (register, requests, breaches, processors, action plan), an activity's form, exports,
and the public register of a collectivité that publishes it. Every object outside the
account's scope answers 404, as if it did not exist (ids are not a way in)."""

from __future__ import annotations

import json

from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt

from terrinum.accounts import policy
from terrinum.apps.rgpd import aipd, aipd_modeles, forms, madis, maturite, modeles, preuves, rapport, services, tableur
from terrinum.apps.rgpd.models import CLAUSES, Activite, Aipd, AipdEvaluation, AipdMesure, Collectivite, Demande, Preuve, Violation
from terrinum.svg import Feature, fixed_class, fixed_legend, group_of, render_map
from terrinum.territories.models import Territory

SCORE_BINS = [40, 60, 80, 95]
FORMATS = {
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
}


def _collectivite(request, pk: int) -> Collectivite:
    try:
        return services.readable_one(request.user, pk)
    except services.Refused:
        raise Http404 from None


def _score_map(rows) -> str:
    """The communes of the départements served, those followed classed by their score, the
    others blank (a few scattered communes alone would say nothing of where they are)."""
    communes = {r.collectivite.insee: r for r in rows if r.collectivite.categorie == "commune" and r.collectivite.insee}
    departements = set(Territory.objects.filter(niveau="commune", code__in=communes).values_list("departement_code", flat=True))
    if not departements:
        return ""
    places = Territory.objects.filter(niveau="commune", departement_code__in=departements).only("code", "nom", "geometrie_carte", "departement_code")
    features = [
        Feature(
            f"{t.nom} : score {communes[t.code].score}/100" if t.code in communes else f"{t.nom} : non suivie",
            t.geometrie_carte,
            None,
            fixed_class(communes[t.code].score if t.code in communes else None, SCORE_BINS),
            group_of(t.departement_code),
        )
        for t in places
    ]
    return render_map(features, "Score de conformité RGPD des communes servies")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    message, status = None, 200
    editable = policy.rgpd_collectivites(user, "modifier")
    collectivites = list(services.readable(user))
    structures = services.hosting_structures(user)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "adherer":
                message = _adhere(request, structures)
            elif action == "madis":
                message = _bring_madis(request, structures)
            elif action == "referentiel":
                structure = _structure_of(request, structures)
                upload = request.FILES.get("fichier")
                if upload is None:
                    raise services.Refused("choisissez le fichier JSON du référentiel")
                made = maturite.save_referentiel(structure, user, request.POST.get("nom", ""), upload.read())
                message = {"ok": True, "texte": f"Référentiel « {made.nom} », version {made.version}, enregistré."}
            elif action == "dupliquer":
                message = _duplicate(request, collectivites)
            collectivites = list(services.readable(user))  # an import or an adhesion may have added some
        except services.Refused as exc:
            message, status = {"ok": False, "texte": str(exc)}, exc.status
    rows = sorted(services.dashboard(collectivites), key=lambda r: (r.score, str(r.collectivite)))
    context = {
        "echeances": services.due_soon(collectivites),
        "lignes": rows,
        "carte": _score_map(rows),
        "legende": fixed_legend(SCORE_BINS, ""),
        "modeles": modeles.MODELS,
        "modeles_structures": services.own_models(user),
        "modifiables": [c for c in collectivites if editable is None or c.organisation_id in editable],
        "message": message,
        "criteres": services.CRITERIA,
        "structures": structures,
        "categories": services.CATEGORIES,
        "referentiel_cnil": maturite.packaged() if structures else None,
    }
    return render(request, "rgpd/accueil.html", context, status=status)


def _bring_madis(request, structures) -> dict:
    """Madis's exports brought into the structure's registers, from the dashboard."""
    structure = _structure_of(request, structures)
    uploads = [f for f in request.FILES.getlist("fichiers") if f]
    if not uploads:
        raise services.Refused("choisissez les exports CSV de Madis (traitements, sous-traitants)")
    done = madis.import_files(structure, request.user, [(f.name, f.read()) for f in uploads], request.POST.get("creer") == "1")
    texte = " ".join(f"{'Sous-traitants' if kind == 'sous-traitant' else 'Traitements'} : {madis.summary(r, kind)}" for kind, r in done)
    return {"ok": True, "texte": texte, "madis": done}


def _duplicate(request, collectivites) -> dict:
    """A model copied into the chosen registers, from the dashboard."""
    chosen = [c for c in collectivites if str(c.pk) in request.POST.getlist("collectivites")]
    if not chosen:
        raise services.Refused("choisissez au moins une collectivité")
    done = services.duplicate(request.POST.get("modele", ""), chosen, request.user)
    other = f" ; {done['autre_categorie']} non copié(s) : ce modèle est celui d'un autre type de collectivité (le CCAS)" if done.get("autre_categorie") else ""
    return {"ok": True, "texte": f"Modèle copié dans {done['creees']} registre(s) ; {done['deja_presentes']} l'avaient déjà{other}."}


def _structure_of(request, structures):
    """The mutualisation structure a dashboard form names, among those the account runs."""
    structure = next((s for s in structures if str(s.pk) == request.POST.get("structure")), None)
    if structure is None:
        raise services.Refused("structure de mutualisation inconnue ou hors de votre périmètre", 403)
    return structure


def _adhere(request, structures) -> dict:
    """A collectivité joins the DPO's structure, from the dashboard (as `terrinum rgpd adherer`)."""
    from terrinum.territories import services as territories

    structure = _structure_of(request, structures)
    typed = request.POST.get("territoire", "").strip()
    place = None
    if typed:
        found = territories.resolve(typed)
        if found.statut != "trouve":
            raise services.Refused(found.message or f"« {typed} » : aucune commune ni EPCI")
        place = found.territoire
    c = services.adhere(structure, request.POST.get("nom", ""), request.POST.get("categorie", ""), place, request.POST.get("designation", ""), request.user)
    return {"ok": True, "texte": f"« {c} » est servie par « {structure.nom} » : son registre est ouvert."}


def _maturity(request, c) -> dict:
    """The maturity section: the history, a chart of the last two evaluations by domain, and
    the questionnaire of the chosen référentiel."""
    history = list(c.maturites.select_related("referentiel")[:10])
    choices = maturite.referentiels_for(c)
    chosen = next((r for r in choices if str(r.pk) == request.GET.get("referentiel")), choices[0])
    return {
        "maturites": [(e, e.score(), e.par_domaine()) for e in history],
        "maturite_graphique": _maturity_chart(history[:2]),
        "referentiels": choices,
        "referentiel": chosen,
        "niveaux": maturite.LEVELS,
    }


def _maturity_chart(evaluations) -> str:
    """Bars per domain, 0 to 100, each labelled above (drawn for a phone): the latest
    evaluation, and the one before it."""
    from django.utils.html import escape

    if not evaluations:
        return ""
    latest = evaluations[0].par_domaine()
    before = dict(evaluations[1].par_domaine()) if len(evaluations) > 1 else {}
    row, bar_w = 46, 300
    height = row * len(latest) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {bar_w + 40} {height}" class="graphique barres" role="img" '
             f'aria-label="Maturité par domaine, sur 100 : la dernière évaluation{" et la précédente" if before else ""} (le tableau ci-dessous donne les chiffres)">']  # fmt: skip
    for i, (title, score) in enumerate(latest):
        y = 4 + i * row
        parts.append(f'<text x="0" y="{y + 12}" class="axe">{escape(title)}</text>')
        if title in before:
            parts.append(
                f'<rect x="0" y="{y + 17}" width="{bar_w * before[title] / 100:.1f}" height="6" fill="#b8c4d6"><title>précédente : {before[title]}</title></rect>'
            )
        parts.append(f'<rect x="0" y="{y + 25}" width="{bar_w * score / 100:.1f}" height="12" class="barre"><title>{score}</title></rect>')
        parts.append(f'<text x="{bar_w * score / 100 + 4:.1f}" y="{y + 36}" class="axe">{score}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _own_activity(c, pk) -> Activite | None:
    """The activity of this collectivité's register named by a form (none chosen: None)."""
    if not pk:
        return None
    found = Activite.objects.filter(pk=pk, collectivite=c).first() if str(pk).isdigit() else None
    if found is None:
        raise services.Refused("activité introuvable dans ce registre")
    return found


def _date_time(value):
    return timezone.make_aware(value) if timezone.is_naive(value) else value


JOURNAL_SHOWN = 100  # the latest changes shown on the collectivité's page


@login_required
def collectivite(request: HttpRequest, pk: int) -> HttpResponse:
    """A collectivité's page, its dates read and shown in its local time (an overseas
    collectivité's deadlines end at its own midnight: echeances.zone)."""
    c = _collectivite(request, pk)
    from django.utils import timezone as tz

    from terrinum.apps.rgpd import echeances

    with tz.override(echeances.zone(c.departement)):
        return _collectivite_page(request, c)


def _collectivite_page(request: HttpRequest, c) -> HttpResponse:
    user = request.user
    message, status = None, 200
    request_form, breach_form = forms.RequestForm(prefix="d"), forms.BreachForm(prefix="v", collectivite=c)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "demande":
                request_form = forms.RequestForm(request.POST, prefix="d")
                if not request_form.is_valid():
                    raise services.Refused("demande : " + " ; ".join(f"{request_form.fields[k].label} : {' '.join(v)}" for k, v in request_form.errors.items()))
                d = services.record_request(c, user, **request_form.cleaned_data)
                message = {"ok": True, "texte": f"Demande enregistrée : réponse due au plus tard le {d.echeance().due:%d/%m/%Y}."}
                request_form = forms.RequestForm(prefix="d")
            elif action == "violation":
                breach_form = forms.BreachForm(request.POST, prefix="v", collectivite=c)
                if not breach_form.is_valid():
                    raise services.Refused("violation : " + " ; ".join(f"{breach_form.fields[k].label} : {' '.join(v)}" for k, v in breach_form.errors.items()))
                v = services.record_breach(c, user, **breach_form.cleaned_data)
                texte = "Violation enregistrée."
                if v.doublon_de:
                    texte += f" Elle ressemble à celle connue le {timezone.localtime(v.doublon_de.connue_le):%d/%m/%Y à %H:%M} (même nature, moins de 24 heures d'écart) : vérifiez que ce n'est pas la même."
                if v.notification_requise:
                    texte += f" Notification à la CNIL au plus tard le {v.echeance().due:%d/%m/%Y à %H:%M}."
                message = {"ok": True, "texte": texte}
                breach_form = forms.BreachForm(prefix="v", collectivite=c)
            elif action in ("repondre", "prolonger"):
                d = get_object_or_404(Demande, pk=request.POST.get("demande") or 0, collectivite=c)
                if action == "repondre":
                    closed = services.answer_request(d, user, statut=request.POST.get("suite") or Demande.REPONDUE, motif=request.POST.get("motif", ""))
                    message = {"ok": True, "texte": f"Demande close : {closed.get_statut_display().lower()}."}
                else:
                    services.extend_request(d, user, timezone.now())
                    message = {"ok": True, "texte": f"Délai prolongé jusqu'au {d.echeance().due:%d/%m/%Y}."}
            elif action == "notifier":
                v = get_object_or_404(Violation, pk=request.POST.get("violation") or 0, collectivite=c)
                services.notify_breach(v, user, motif_retard=request.POST.get("motif_retard", ""))
                message = {"ok": True, "texte": "Notification à la CNIL enregistrée."}
            elif action == "sous-traitant":
                services.save_processor(
                    c,
                    user,
                    request.POST.get("nom", ""),
                    request.POST.get("prestation", ""),
                    request.POST.getlist("clauses"),
                    request.POST.get("hors_ue") == "1",
                )
                message = {"ok": True, "texte": "Sous-traitant ajouté."}
            elif action == "action":
                try:
                    echeance = timezone.datetime.fromisoformat(request.POST.get("echeance", "")).date()
                except ValueError as exc:
                    raise services.Refused("échéance de l'action : une date") from exc
                services.add_action(c, user, request.POST.get("intitule", ""), echeance, int(request.POST.get("priorite") or 2))
                message = {"ok": True, "texte": "Action ajoutée au plan."}
            elif action == "dpo":
                services.set_dpo(
                    c,
                    user,
                    request.POST.get("dpo_nom", ""),
                    request.POST.get("dpo_designation", ""),
                    responsable=request.POST.get("responsable", ""),
                    contact=request.POST.get("contact", ""),
                    dpo_contact=request.POST.get("dpo_contact", ""),
                )
                message = {"ok": True, "texte": "Délégué à la protection des données enregistré."}
            elif action == "importer":
                upload = request.FILES.get("fichier")
                if upload is None:
                    raise services.Refused("choisissez un registre en tableur (ODS, XLSX) ou un fichier JSON exporté de Terrinum")
                if upload.size > services.MAX_IMPORT_BYTES:
                    raise services.Refused(f"{upload.name} : fichier trop lourd (5 Mo au plus)")
                raw = upload.read()
                if raw[:2] == b"PK":  # a spreadsheet (ODS and XLSX are ZIP archives)
                    report = tableur.import_spreadsheet(c, raw, upload.name, user)
                    message = {"ok": True, "texte": tableur.summary(report), "rapport": report}
                else:
                    counts = services.import_json(c, services.read_export(raw, upload.name), user, upload.name)
                    message = {
                        "ok": True,
                        "texte": f"Importé : {counts['activites']} activité(s), {counts['sous_traitants']} sous-traitant(s), {counts['actions']} action(s).",
                    }
            elif action == "aipd":
                linked = _own_activity(c, request.POST.get("activite"))
                made = aipd.create(c, user, request.POST.get("nom", ""), linked, request.POST.get("modele", ""))
                return redirect("rgpd-aipd", pk=made.pk)
            elif action == "aipd-importer":
                upload = request.FILES.get("fichier")
                if upload is None:
                    raise services.Refused("choisissez le fichier JSON exporté de l'outil PIA de la CNIL")
                if upload.size > services.MAX_IMPORT_BYTES:
                    raise services.Refused(f"{upload.name} : fichier trop lourd (5 Mo au plus)")
                made = aipd.import_pia(c, aipd.read_pia(upload.read(), upload.name), user, upload.name, _own_activity(c, request.POST.get("activite")))
                return redirect("rgpd-aipd", pk=made.pk)
            elif action == "maturite":
                chosen = next((r for r in maturite.referentiels_for(c) if str(r.pk) == request.POST.get("referentiel")), None)
                if chosen is None:
                    raise services.Refused("référentiel inconnu")
                answers = {k[2:]: int(v) for k, v in request.POST.items() if k.startswith("m-") and v.isdigit()}
                made = maturite.record(c, user, chosen, answers)
                message = {"ok": True, "texte": f"Maturité enregistrée : {made.score()} / 100."}
            elif action == "preuve":
                upload = request.FILES.get("fichier")
                if upload is None:
                    raise services.Refused("choisissez le fichier de la preuve")
                if upload.size > preuves.MAX_BYTES:
                    raise services.Refused(f"{upload.name} : au plus 5 Mo")
                try:
                    date = timezone.datetime.fromisoformat(request.POST.get("date", "")).date()
                except ValueError:
                    raise services.Refused("date de la pièce : une date") from None
                linked_action = c.actions.filter(pk=request.POST.get("lien_action") or 0).first() if request.POST.get("lien_action") else None
                made = preuves.add(
                    c, user, request.POST.get("nature", ""), upload.name, upload.read(), date, _own_activity(c, request.POST.get("activite")), linked_action
                )
                message = {"ok": True, "texte": f"Preuve « {made.nom} » déposée."}
            elif action == "verifier-preuve":
                found = get_object_or_404(c.preuves, pk=request.POST.get("preuve") or 0)
                preuves.verify(found, user)
                message = {"ok": True, "texte": f"Preuve « {found.nom} » vérifiée."}
            elif action == "publier":
                services.require(user, c, "modifier")
                c.registre_public = request.POST.get("public") == "1"
                c.save(update_fields=["registre_public"])
                message = {"ok": True, "texte": "Registre public." if c.registre_public else "Registre retiré de la publication."}
            else:
                raise services.Refused("action inconnue")
        except services.Refused as exc:
            message, status = {"ok": False, "texte": str(exc)}, exc.status
    now = timezone.now()
    (row,) = services.dashboard([c], now)
    context = {
        "c": c,
        "dpo": services.dpo_of(c),
        "ligne": row,
        "modifiable": policy.may_rgpd(user, c, "modifier"),
        "activites": c.activites.all(),
        "sous_traitance": [a for a in c.activites.all() if a.role == "sous-traitant"],
        "demandes": [(d, d.echeance(), services.request_late(d, now)) for d in c.demandes.all()],
        "violations": [(v, v.echeance(), services.breach_late(v, now)) for v in c.violations.all()],
        "sous_traitants": c.sous_traitants.prefetch_related("activites"),
        "actions": c.actions.all(),
        "analyses": c.analyses.select_related("activite"),
        "preuves": c.preuves.select_related("activite", "action", "verifiee_par").defer("contenu"),
        "natures_preuves": Preuve.NATURES,
        "dpo_verifie": policy.may_rgpd(user, c, "verifier"),
        **_maturity(request, c),
        "modeles_aipd": [(k, m.titre) for k, m in aipd_modeles.MODELS.items()],
        "aujourdhui": timezone.localdate(),
        "clauses": CLAUSES,
        "form_demande": request_form,
        "form_violation": breach_form,
        "message": message,
        # the journal of the register's changes, for its DPO (and the platform's administrator)
        "journal": list(c.traces.select_related("par")[:JOURNAL_SHOWN]) if policy.may_rgpd(user, c, "verifier") else None,
    }
    return render(request, "rgpd/collectivite.html", context, status=status)


class _Done(Exception):
    """An action of the activity page done: the page is shown again with its message."""


@login_required
def activity(request: HttpRequest, pk: int | None = None, collectivite_pk: int | None = None) -> HttpResponse:
    """Create (collectivite_pk) or change (pk) an activity; its data categories below."""
    user = request.user
    if pk is not None:
        a = get_object_or_404(Activite.objects.select_related("collectivite__organisation"), pk=pk)
        if not policy.may_rgpd(user, a, "lire"):
            raise Http404
    else:
        a = Activite(collectivite=_collectivite(request, collectivite_pk))
    modifiable = policy.may_rgpd(user, a, "modifier")
    if a.pk is None and not modifiable:
        return HttpResponse(
            "Vous lisez ce registre sans le tenir : ajouter une activité ne vous est pas ouvert.", status=403, content_type="text/plain; charset=utf-8"
        )
    form = forms.ActivityForm(instance=a)
    data = forms.DataFormSet(instance=a if a.pk else Activite(), prefix="donnees")
    message, status = None, 200
    if request.method == "POST":
        try:
            if request.POST.get("action") in ("modele", "copier") and a.pk is not None:
                if request.POST["action"] == "modele":
                    structure = next((st for st in services.hosting_structures(user) if str(st.pk) == request.POST.get("structure")), None)
                    if structure is None:
                        raise services.Refused("structure inconnue ou hors de votre périmètre", 403)
                    made = services.save_as_model(a, structure, user)
                    message = {"ok": True, "texte": f"Modèle « {made.nom} » de {structure.nom}, version {made.version}."}
                else:
                    targets = [t for t in services.readable(user) if str(t.pk) in request.POST.getlist("collectivites")]
                    if not targets:
                        raise services.Refused("choisissez au moins une collectivité")
                    done = services.copy_activity(a, targets, user)
                    message = {
                        "ok": True,
                        "texte": f"Activité copiée dans {done['creees']} registre(s) ; {done['deja_presentes']} en avaient déjà une de ce nom.",
                    }
                raise _Done()
            if request.POST.get("action") == "statut":
                if a.pk is None:
                    raise Http404
                services.set_status(a, request.POST.get("statut", ""), user, request.POST.get("recommandations", ""))
                return redirect("rgpd-activite", pk=a.pk)
            form, data = forms.ActivityForm(request.POST, instance=a), forms.DataFormSet(request.POST, instance=a if a.pk else Activite(), prefix="donnees")
            if not (form.is_valid() and data.is_valid()):
                raise services.Refused("le formulaire a des erreurs : voyez les champs signalés")
            rows = [f.cleaned_data for f in data.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            saved = services.save_activity(form.apply(), user, donnees=rows)
            return redirect("rgpd-activite", pk=saved.pk)
        except _Done:
            pass
        except services.Refused as exc:
            message, status = {"ok": False, "texte": str(exc)}, exc.status
    structures = services.hosting_structures(user) if a.pk else []
    context = {
        "structures": structures,
        "autres_registres": [t for t in services.readable(user) if t.pk != a.collectivite_id and policy.may_rgpd(user, t, "modifier")] if structures else [],
        "a": a,
        "c": a.collectivite,
        "form": form,
        "donnees": data,
        "modifiable": modifiable,
        "verifiable": a.pk is not None and policy.may_rgpd(user, a, "verifier"),
        "message": message,
        "avertissements": services.warnings(a) if a.pk else [],
    }
    return render(request, "rgpd/activite.html", context, status=status)


@login_required
def export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    c = _collectivite(request, pk)
    if fmt == "ods":
        body = services.register_ods(c)
    elif fmt == "xlsx":
        body = services.register_xlsx(c)
    elif fmt == "csv":
        body = services.register_csv(c)
    elif fmt == "json":
        body = json.dumps(services.export_json(c), ensure_ascii=False, indent=2)
    elif fmt == "pdf":
        body = services.register_pdf(c)
    else:
        raise Http404
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="registre-rgpd-{c.pk}.{fmt}"'
    return response


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def public_register(request: HttpRequest, pk: int) -> HttpResponse:
    """What art. 30 lets be public, for a collectivité that publishes its register; embeddable
    in its own site (`?integre=1`: the page without Terrinum's header)."""
    c = get_object_or_404(Collectivite.objects.select_related("organisation"), pk=pk, registre_public=True)
    context = {
        "c": c,
        "dpo": services.dpo_of(c),
        "lignes": services.register_rows(c, public=True),
        "colonnes": services.PUBLIC_COLUMNS,
        "integre": request.GET.get("integre") == "1",
    }
    return render(request, "rgpd/public.html", context)


@login_required
def notification(request: HttpRequest, pk: int) -> HttpResponse:
    """A breach as the CNIL's notification form lays it out (PDF), for who reads its register."""
    v = get_object_or_404(Violation.objects.select_related("collectivite__organisation"), pk=pk)
    c = _collectivite(request, v.collectivite_id)
    from django.utils import timezone as tz

    from terrinum.apps.rgpd import echeances

    with tz.override(echeances.zone(c.departement)):
        body = services.notification_pdf(v)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="violation-{v.pk}-notification.pdf"'
    return response


def _analysis(request, pk: int) -> Aipd:
    found = Aipd.objects.select_related("collectivite__organisation", "activite").filter(pk=pk).first()
    if found is None or not policy.may_rgpd(request.user, found, "lire"):
        raise Http404
    return found


def _optional_int(value):
    return int(value) if str(value or "").strip().isdigit() else None


@login_required
def analysis(request: HttpRequest, pk: int) -> HttpResponse:
    """An impact analysis, part by part as the CNIL's method goes: context, principles,
    measures, the three risks, the DPO's evaluations, the risk map and the action plan,
    opinions and decision; its export for the CNIL's PIA tool."""
    a = _analysis(request, pk)
    user = request.user
    message, status = None, 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "reponses":
                answers = {ref: request.POST.get(f"q{ref}", "") for ref in aipd.QUESTIONS if f"q{ref}" in request.POST}
                n = aipd.save_answers(a, user, answers)
                message = {"ok": True, "texte": f"{n} réponse(s) enregistrée(s)." if n else "Rien n'a changé."}
            elif action == "mesure":
                made = aipd.add_measure(a, user, request.POST.get("titre", ""), request.POST.get("contenu", ""))
                message = {"ok": True, "texte": f"Mesure « {made.titre} » ajoutée."}
            elif action == "evaluer":
                measure = get_object_or_404(AipdMesure, pk=request.POST["mesure"], aipd=a) if request.POST.get("mesure") else None
                when = request.POST.get("mise_en_oeuvre_le", "").strip()
                try:
                    when = timezone.datetime.fromisoformat(when).date() if when else None
                except ValueError:
                    raise services.Refused("date de mise en œuvre : une date (AAAA-MM-JJ)") from None
                e = aipd.evaluate(
                    a, user, request.POST.get("reference", ""), _optional_int(request.POST.get("statut")) or 0,
                    request.POST.get("commentaire", ""), request.POST.get("plan_action", ""), request.POST.get("responsable", ""), when,
                    _optional_int(request.POST.get("gravite")), _optional_int(request.POST.get("vraisemblance")), measure,
                )  # fmt: skip
                message = {"ok": True, "texte": f"Évaluation enregistrée : {e.get_statut_display()}."}
            elif action == "avis-dpo":
                aipd.give_opinions(
                    a,
                    user,
                    dpo_noms=request.POST.get("dpo_noms", ""),
                    dpo_avis=request.POST.get("dpo_avis", ""),
                    dpo_statut=_optional_int(request.POST.get("dpo_statut")),
                )
                message = {"ok": True, "texte": "Avis du DPO enregistré."}
            elif action == "avis-personnes":
                sought = {"oui": True, "non": False}.get(request.POST.get("personnes_consultees", ""))
                aipd.give_opinions(
                    a, user, personnes_consultees=sought, personnes_consultation=request.POST.get("personnes_consultation", ""),
                    personnes_noms=request.POST.get("personnes_noms", ""), personnes_avis=request.POST.get("personnes_avis", ""),
                    personnes_statut=_optional_int(request.POST.get("personnes_statut")),
                )  # fmt: skip
                message = {"ok": True, "texte": "Avis des personnes concernées enregistré."}
            elif action == "decider":
                done = aipd.decide(a, user, _optional_int(request.POST.get("statut")) or 0, request.POST.get("motif", ""), request.POST.get("ajustements", ""))
                message = {"ok": True, "texte": f"Analyse {done.get_statut_display()}."}
            else:
                raise services.Refused("action inconnue")
        except services.Refused as exc:
            message, status = {"ok": False, "texte": str(exc)}, exc.status
        a = _analysis(request, pk)
    answers = {r.reference: r for r in a.reponses.all()}
    evaluations = {(e.reference, e.mesure_id): e for e in a.evaluations.all()}
    parts = []
    for (section, item), (title, questions) in aipd.PARTS.items():
        rows = []
        for ref, label, kind in questions:
            r = answers.get(ref)
            value = aipd.plain(r.texte) if r and kind == "text" else "\n".join(r.liste) if r and kind == "list" else (r.jauge if r else None)
            rows.append({"ref": ref, "label": label, "kind": kind, "value": value, "evaluation": evaluations.get((f"{section}.{item}.{ref}", None))})
        parts.append(
            {"id": f"{section}.{item}", "title": title, "section": section, "questions": rows, "evaluation": evaluations.get((f"{section}.{item}", None))}
        )
    context = {
        "a": a,
        "parties": parts,
        "mesures": [(m, evaluations.get(("3.1", m.pk))) for m in a.mesures.all()],
        "echelle": list(aipd.SCALE.items()),
        "statuts_evaluation": AipdEvaluation.STATUTS,
        "carte": aipd.risk_map(a),
        "plan": aipd.action_plan(a),
        "modifiable": policy.may_rgpd(user, a, "modifier"),
        "dpo": policy.may_rgpd(user, a, "verifier"),
        "message": message,
    }
    return render(request, "rgpd/aipd.html", context, status=status)


@login_required
def analysis_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The analysis as a JSON file for the CNIL's PIA tool."""
    a = _analysis(request, pk)
    response = HttpResponse(json.dumps(aipd.export_pia(a), ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="aipd-{a.pk}-outil-pia.json"'
    return response


REPORT_TYPES = {"pdf": "application/pdf", "odt": "application/vnd.oasis.opendocument.text"}


def _year(request) -> int:
    typed = request.GET.get("annee", "")
    return int(typed) if typed.isdigit() and 2000 <= int(typed) <= 2100 else timezone.localdate().year


def _report_response(found: rapport.AnnualReport, fmt: str, name: str) -> HttpResponse:
    body = rapport.as_pdf(found) if fmt == "pdf" else rapport.as_odt(found)
    response = HttpResponse(body, content_type=REPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="rapport-annuel-dpo-{name}-{found.annee}.{fmt}"'
    return response


@login_required
def annual_report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The DPO's annual report of a collectivité (?annee=AAAA; this year by default)."""
    c = _collectivite(request, pk)
    if fmt not in REPORT_TYPES:
        raise Http404
    return _report_response(rapport.for_collectivite(c, _year(request)), fmt, str(c.pk))


@login_required
def structure_report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The DPO's annual report of the structure: its collectivités, one line each."""
    structure = next((s for s in services.hosting_structures(request.user) if s.pk == pk), None)
    if structure is None or fmt not in REPORT_TYPES:
        raise Http404
    served = [c for c in services.readable(request.user) if c.organisation in structure.collectivites_servies.all()]
    return _report_response(rapport.for_structure(structure, served, _year(request)), fmt, f"structure-{structure.pk}")


@login_required
def referentiel(request: HttpRequest, pk: int) -> HttpResponse:
    """A maturity référentiel as JSON (to copy and adapt into a structure's own)."""
    from terrinum.apps.rgpd.models import Referentiel

    found = get_object_or_404(Referentiel, pk=pk)
    if found.structure_id is not None and found.structure not in services.hosting_structures(request.user):
        raise Http404
    body = {"nom": found.nom, "version": found.version, "source": found.source, "domaines": found.domaines}
    response = HttpResponse(json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="referentiel-maturite-{found.pk}.json"'
    return response


@login_required
def madis_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The registers of the structure's collectivités in Madis's treatments columns."""
    structure = next((s for s in services.hosting_structures(request.user) if s.pk == pk), None)
    if structure is None:
        raise Http404
    served = [c for c in services.readable(request.user) if c.organisation in structure.collectivites_servies.all()]
    response = HttpResponse(madis.export_treatments(served), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="registres-format-madis-{structure.pk}.csv"'
    return response


@login_required
def proof(request: HttpRequest, pk: int) -> HttpResponse:
    """A proof's document, for whoever reads the collectivité's register."""
    found = get_object_or_404(Preuve.objects.select_related("collectivite__organisation"), pk=pk)
    if not policy.may_rgpd(request.user, found, "lire"):
        raise Http404
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(found.type_mime, "odt" if "text" in found.type_mime else "ods")
    response = HttpResponse(bytes(found.contenu), content_type=found.type_mime)
    response["Content-Disposition"] = f'attachment; filename="preuve-{found.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
