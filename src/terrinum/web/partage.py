"""Pages of the shared diagnostic (docs/diagnostic-partage.md): the démarches of an account,
a démarche's page (the lead runs it; a participant with an account contributes there), the
contribution form reached by an invitation link, the frozen PDF, the plan's exports and the
public page of a published diagnostic. Every démarche outside the account's reach answers
404; a link opens its démarche's form and nothing else."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from terrinum.accounts import policy
from terrinum.accounts.models import Organisation
from terrinum.apps.concertation import services
from terrinum.apps.concertation.models import FINANCERS, REPORT_CATEGORIES, Action, Contribution, Demarche, Participant
from terrinum.diagnostic import partage, schema
from terrinum.svg import Feature, Marker, bar_chart, group_of, line_chart, render_map
from terrinum.territories.models import Territory

LEAD_TYPES = (Organisation.COLLECTIVITE, Organisation.MUTUALISATION)
PAGE = 100  # participants and contributions listed per page on the lead's page
MAX_COMMUNES_DRAWN = 2000


def _visible(request, pk: int) -> Demarche:
    try:
        return services.visible_to(request.user).get(pk=pk)
    except Demarche.DoesNotExist:
        raise Http404 from None


def euros(centimes: int) -> str:
    """12 000 € ; 12 000,50 €."""
    whole, cents = divmod(int(centimes), 100)
    text = f"{whole:,}".replace(",", "\u202f")
    return f"{text},{cents:02d} €" if cents else f"{text} €"


def _euros(text: str) -> int:
    try:
        value = round(float(text.replace(" ", "").replace("\u202f", "").replace(",", ".") or 0) * 100)
    except ValueError as exc:
        raise services.Refused(f"montant illisible : « {text} » (en euros, ex. 12000 ou 12 000,50)") from exc
    if value < 0:
        raise services.Refused("montant : positif")
    return value


def _date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise services.Refused(f"{what} : une date") from exc


def _float(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise services.Refused(f"valeur illisible : « {text} »") from exc


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    leads = Organisation.objects.filter(type__in=LEAD_TYPES, territoire_niveau__isnull=False)
    if not user.is_superuser:
        leads = leads.filter(
            pk__in=policy.acting_organisations(user, Organisation.COLLECTIVITE) | policy.acting_organisations(user, Organisation.MUTUALISATION)
        )
    message, status = None, 200
    if request.method == "POST":
        try:
            porteur = get_object_or_404(leads, pk=request.POST.get("porteur") or 0)
            d = services.open_demarche(
                porteur, porteur.territoire_niveau, porteur.territoire_code, request.POST.get("titre", "") or f"Diagnostic numérique partagé — {porteur.nom}",
                _date(request.POST.get("debut", ""), "début"), _date(request.POST.get("fin", ""), "fin"), user,
                livrable=request.POST.get("livrable") or Demarche.DIAGNOSTIC,
            )  # fmt: skip
            return redirect("partage-demarche", pk=d.pk)
        except services.Refused as exc:
            message, status = {"ok": False, "texte": str(exc)}, exc.status
    context = {
        "demarches": services.visible_to(user), "porteurs": list(leads), "message": message, "aujourdhui": timezone.localdate(),
        "livrables": Demarche.DELIVERABLES,
    }  # fmt: skip
    return render(request, "web/partage_accueil.html", context, status=status)


def _difficulty_chart(themes) -> str:
    return bar_chart(
        [(s.libelle, s.moyenne) for s in themes], "Difficulté moyenne donnée par les acteurs, par thème",
        reference=3.0, scale_max=5.0, reference_label="milieu de l'échelle (3)",
    )  # fmt: skip


def _reports_map(t, themes) -> str:
    """The territory's communes, and a point per located report (at its commune's centre)."""
    from terrinum.territories.helpers import COMMUNE_COLUMN

    reports = [r for s in themes for r in s.signalements]
    if not reports:
        return ""
    column = COMMUNE_COLUMN.get(t.niveau)
    communes = Territory.objects.filter(niveau="commune")
    communes = communes.filter(**{column: t.code}) if column else communes.filter(code=t.code)
    if communes.count() > MAX_COMMUNES_DRAWN:
        return ""
    centres = dict(Territory.objects.filter(niveau="commune", code__in={r.commune_code for r in reports}).values_list("code", "latitude"))
    longitudes = dict(Territory.objects.filter(niveau="commune", code__in=set(centres)).values_list("code", "longitude"))
    markers = []
    for r in reports:
        lat, lon = (r.latitude, r.longitude) if r.latitude is not None else (centres.get(r.commune_code), longitudes.get(r.commune_code))
        if lat is not None and lon is not None:
            markers.append(Marker(lon, lat, f"{r.get_categorie_display()} : {r.description}", "point depart", 5.0, group_of(t.departement_code or "")))
    features = [
        Feature(c.nom, c.geometrie_carte, None, "zone", group_of(c.departement_code)) for c in communes.only("nom", "geometrie_carte", "departement_code")
    ]
    return render_map(features, "Lieux signalés par les acteurs", markers=markers)


def _trajectory(a, tracked, validated: dt.date) -> str:
    if tracked is None or tracked.actuelle is None or a.valeur_reference is None or a.valeur_cible is None:
        return ""
    h = partage.headlines()[a.indicateur]
    top = 100.0 if h.unite == "%" else 10.0
    points = [(f"{validated:%m/%Y} (départ)", a.valeur_reference), (f"{timezone.localdate():%m/%Y} (aujourd'hui)", tracked.actuelle)]
    return line_chart(
        points, f"{h.libelle} : départ, aujourd'hui, cible", y_label=" %" if h.unite == "%" else "", y_max=top, target=a.valeur_cible, width=400, height=200
    )


TYPED_FIELDS = ("theme", "difficulte", "difficultes", "priorites", "signalement_categorie", "signalement_commune", "signalement_description")


def _report_commune(request, d) -> str:
    """The INSEE code of the commune named in a report: chosen among candidates on a second
    step, else its name, postal code or code, narrowed to the démarche's territory when
    several communes answer. Refused (with the candidates in `candidats`) otherwise."""
    from terrinum.accounts.policy import commune_codes_of
    from terrinum.territories import services as territories
    from terrinum.territories.helpers import TerritorySet

    chosen, typed = request.POST.get("signalement_commune_code", ""), request.POST.get("signalement_commune", "").strip()
    if not chosen.strip() and not typed:
        return ""
    found = territories.commune_from_form(chosen, typed, prefer=commune_codes_of(TerritorySet.of(d.territoire_niveau, d.territoire_code)))
    if found.statut == "trouve":
        return found.territoire.code
    if found.statut == "ambigu":
        refused = services.Refused(f"plusieurs communes répondent à « {typed} » : choisissez la bonne")
        refused.candidats = found.candidats
        raise refused
    raise services.Refused(found.message)


def _contribution_form(request, p: Participant) -> dict | None:
    """Save the contribution form of a participant (POST); a message. A refusal keeps what
    was typed (`saisie` on the exception) for the form to show again."""
    try:
        return _save_contribution(request, p)
    except services.Refused as exc:
        exc.saisie = {k: request.POST.get(k, "") for k in TYPED_FIELDS} | {"candidats": getattr(exc, "candidats", [])}
        raise


def _save_contribution(request, p: Participant) -> dict:
    if request.POST.get("tout-envoyer") == "1":
        sent = services.submit_drafts(p)
        return {
            "ok": True,
            "texte": f"{len(sent)} contribution(s) envoyée(s) : "
            + ", ".join(f"« {dict(p.demarche.theme_labels()).get(c.theme, c.theme)} »" for c in sent)
            + ".",
        }
    theme = request.POST.get("theme", "")
    try:
        level = int(request.POST.get("difficulte") or 0)
    except ValueError:
        level = 0
    reports = []
    if request.POST.get("signalement_description", "").strip():
        reports.append(
            services.ReportIn(
                request.POST.get("signalement_categorie", "autre"),
                request.POST["signalement_description"],
                commune_code=_report_commune(request, p.demarche),
            )
        )
    submit = request.POST.get("envoyer") == "1"
    if p.organisation_id is None and request.POST.get("consentement") == "1" and not p.consent_nom:
        p.consent_nom = True
        p.save(update_fields=["consent_nom"])
    services.contribute(p, theme, level, request.POST.get("difficultes", ""), request.POST.get("priorites", ""), reports, submit=submit)
    label = dict(p.demarche.theme_labels()).get(theme, theme)
    return {
        "ok": True,
        "theme": theme,
        "texte": f"« {label} » : contribution envoyée." if submit else f"« {label} » : brouillon enregistré (pas encore envoyé).",
    }


def _participant_context(p: Participant, saisie: dict | None = None, asked: str | None = None, saved: str | None = None) -> dict:
    """The participant's form, one theme at a time with the progress of all: the theme shown
    is the one asked (`?theme=`), else the one whose answer was refused (its typed values
    shown again), else the next after the theme just saved, else the first not sent."""
    mine = {c.theme: c for c in p.contributions.prefetch_related("signalements")}
    labels = p.demarche.theme_labels()
    keys = [key for key, _ in labels]
    progress = [(key, label, mine.get(key)) for key, label in labels]
    pending = [key for key, _, c in progress if c is None or c.statut != Contribution.SOUMISE]
    if saisie and saisie.get("theme") in keys:
        current = saisie["theme"]
    elif asked in keys:
        current = asked
    elif saved in keys:
        after = keys[keys.index(saved) + 1 :] + keys[: keys.index(saved)]
        current = next((k for k in after if k in pending), saved)
    else:
        current = pending[0] if pending else keys[0]
    c = mine.get(current)
    if saisie and saisie.get("theme") == current:
        values = {**saisie, "difficulte": int(saisie["difficulte"]) if str(saisie.get("difficulte", "")).isdigit() else None}
    else:
        values = {"difficulte": c.difficulte if c else None, "difficultes": c.difficultes if c else "", "priorites": c.priorites if c else ""}
    later = [k for k in keys[keys.index(current) + 1 :] if k in pending]
    return {
        "participant": p,
        "avancement": progress,
        "envoyees": sum(1 for _, _, c in progress if c is not None and c.statut == Contribution.SOUMISE),
        "brouillons": sum(1 for _, _, c in progress if c is not None and c.statut != Contribution.SOUMISE),
        "courant": (current, dict(labels)[current], c, values),
        "rang": keys.index(current) + 1,
        "suivant": later[0] if later else None,
        "niveaux": range(1, 6),
        "categories": REPORT_CATEGORIES,
    }


@login_required
def demarche(request: HttpRequest, pk: int) -> HttpResponse:
    d = _visible(request, pk)
    user = request.user
    lead = services.leads(user, d)
    own = services.participant_of(user, d)
    message, status, lien, saisie = None, 200, None, None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "contribuer":
                if own is None:
                    raise services.Refused("votre organisation n'est pas invitée à cette démarche", 403)
                message = _contribution_form(request, own)
            elif action == "statut":
                services.move(d, request.POST.get("statut", ""), user)
                message = {"ok": True, "texte": f"Démarche : {d.get_statut_display().lower()}."}
            elif action == "inviter-organisation":
                org = get_object_or_404(Organisation, pk=request.POST.get("organisation") or 0)
                services.invite_organisation(d, org, user)
                message = {"ok": True, "texte": f"Invitation enregistrée pour {org.nom} : ses comptes contribuent depuis cette page."}
            elif action == "inviter-lien":
                p, token = services.invite_link(d, request.POST.get("nom", ""), request.POST.get("email", ""), user)
                lien = request.build_absolute_uri(f"/contribuer/{token}/")
                services.mail_invitations(d, [(p, token)], request.build_absolute_uri("/").rstrip("/"))
                message = {"ok": True, "texte": f"Invitation par lien personnel pour {p.nom}, valable jusqu'au {timezone.localtime(p.expire_le):%d/%m/%Y}."}
            elif action == "inviter-communes":
                made = services.invite_communes(d, user)
                sent = services.mail_invitations(d, made, request.build_absolute_uri("/").rstrip("/"))
                message = {"ok": True, "texte": f"{len(made)} commune(s) invitée(s) ; {sent} courriel(s) envoyé(s) aux mairies dont l'adresse est connue."}
            elif action == "revoquer":
                services.revoke(get_object_or_404(Participant, pk=request.POST.get("participant") or 0, demarche=d), user)
                message = {"ok": True, "texte": "Lien révoqué."}
            elif action == "relancer":
                late = services.remind(d, user)
                message = {"ok": True, "texte": f"{len(late)} participant(s) sans contribution envoyée : relance notée."}
            elif action == "masquer":
                c = get_object_or_404(Contribution, pk=request.POST.get("contribution") or 0, participant__demarche=d)
                services.moderate(c, user, request.POST.get("motif", ""), hide=request.POST.get("masquer", "1") == "1")
                message = {"ok": True, "texte": "Contribution masquée (motif au journal)." if c.masquee else "Contribution rétablie."}
            elif action == "valider":
                with transaction.atomic():  # the frozen version and its PDF, or neither
                    partage.validate(d, user)
                    d.gel_pdf = frozen_pdf(d)
                    d.save(update_fields=["gel_pdf"])
                message = {"ok": True, "texte": ("Schéma directeur validé" if d.livrable == Demarche.SCHEMA else "Diagnostic validé")
                           + " : chiffres, priorités et contributions sont figés à ce jour."}  # fmt: skip
            elif action == "parametres-schema":
                partage.set_parameters(d, user, request.POST)
                message = {"ok": True, "texte": "Paramètres du schéma enregistrés."}
            elif action == "publier":
                services.require_lead(user, d)
                d.publiee = request.POST.get("publier") == "1" and d.statut == Demarche.VALIDEE
                d.save(update_fields=["publiee"])
                message = {"ok": True, "texte": "Diagnostic publié." if d.publiee else "Publication retirée."}
            elif action == "nouvelle-version":
                nxt = partage.new_version(d, user)
                return redirect("partage-demarche", pk=nxt.pk)
            elif action == "action":
                indicator = request.POST.get("indicateur", "")
                baseline = (d.gel or {}).get("indicateurs", {}).get(indicator, {}).get("valeur") if indicator else None
                services.add_action(
                    d, user, intitule=request.POST.get("intitule", ""), porteur=request.POST.get("porteur", "").strip() or d.porteur.nom,
                    priorites=request.POST.getlist("priorites"), investissement_centimes=_euros(request.POST.get("investissement", "0")),
                    fonctionnement_centimes=_euros(request.POST.get("fonctionnement", "0")), debut=_date(request.POST.get("debut", ""), "début de l'action"),
                    fin=_date(request.POST.get("fin", ""), "fin de l'action"), indicateur=indicator if indicator in partage.headlines() else "",
                    valeur_reference=baseline, valeur_cible=_float(request.POST.get("cible", "")),
                    date_cible=_date(request.POST["date_cible"], "date de la cible") if request.POST.get("date_cible") else None,
                )  # fmt: skip
                message = {"ok": True, "texte": "Action ajoutée au plan."}
            elif action == "financement":
                a = get_object_or_404(Action, pk=request.POST.get("action_id") or 0, demarche=d)
                services.add_financing(
                    a, user, request.POST.get("financeur", ""), int(request.POST.get("annee") or 0), _euros(request.POST.get("montant", "0"))
                )
                message = {"ok": True, "texte": "Financement ajouté."}
            else:
                raise services.Refused("action inconnue")
        except services.Refused as exc:
            message, status, saisie = {"ok": False, "texte": str(exc)}, exc.status, getattr(exc, "saisie", None)
        d.refresh_from_db()
    t = partage.territory_of(d)
    context = {
        "d": d,
        "t": t,
        "lead": lead,
        "chiffres_figes": partage.frozen_figures(d.gel),
        "message": message,
        "lien": lien,
        "statuts": dict(Demarche.STATES),
        "aujourdhui": timezone.localdate(),
    }
    if own is not None and d.statut == Demarche.CONSULTATION:
        context.update(_participant_context(own, saisie, request.GET.get("theme"), (message or {}).get("theme")))
    if lead:
        answered = services.answered(d)
        people = Paginator(d.participants.select_related("organisation"), PAGE).get_page(request.GET.get("participants"))
        context["participants"] = [(p, answered.get(p.pk, 0)) for p in people]
        context["page_participants"] = people
        context["organisations"] = (
            Organisation.objects.exclude(pk__in=[p.organisation_id for p in d.participants.all() if p.organisation_id]).exclude(pk=d.porteur_id).order_by("nom")
        )
        if d.statut in (Demarche.CONSULTATION, Demarche.CONSOLIDATION):
            context["consolidation"] = partage.consolidation(d)
            context["graphique"] = _difficulty_chart(context["consolidation"]["themes"])
            context["carte"] = _reports_map(t, context["consolidation"]["themes"])
            context["contributions"] = Paginator(
                Contribution.objects.filter(participant__demarche=d, statut=Contribution.SOUMISE)
                .select_related("participant")
                .order_by("theme", "participant__nom"),
                PAGE,
            ).get_page(request.GET.get("moderation"))
    if d.livrable == Demarche.SCHEMA:
        context["schema"] = _plan_context(d, t, lead)
    if d.statut in (Demarche.VALIDEE, Demarche.ARCHIVEE):
        plan = services.financing_plan(d)
        context["plan"] = {**plan, **{k: euros(plan[k]) for k in ("cout_centimes", "finance_centimes", "reste_centimes")}}
        tracked = {s.action.pk: s for s in partage.track(d)}
        context["actions"] = [
            {
                "a": a,
                "suivi": tracked.get(a.pk),
                "financements": [f"{f.financeur} {f.annee} : {euros(f.montant_centimes)}" for f in a.financements.all()],
                "trajectoire": _trajectory(a, tracked.get(a.pk), timezone.localdate(d.validee_le)) if d.validee_le else "",
            }
            for a in d.actions.prefetch_related("financements")
        ]
        context["indicateurs"] = [(k, h.libelle) for k, h in partage.headlines().items()]
        context["financeurs"] = FINANCERS
        context["priorites"] = [p["titre"] for p in d.gel["rapport"]["priorites"]] + [label for _, label in d.theme_labels()]
    return render(request, "web/partage_demarche.html", context, status=status)


def contribute_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The contribution form of a partner invited by link: no account; this démarche only."""
    try:
        p = services.participant_for_link(token)
    except services.Refused as exc:
        return render(request, "web/partage_lien.html", {"refus": str(exc)}, status=exc.status)
    message, status, saisie = None, 200, None
    if request.method == "POST":
        try:
            message = _contribution_form(request, p)
        except services.Refused as exc:
            message, status, saisie = {"ok": False, "texte": str(exc)}, exc.status, getattr(exc, "saisie", None)
    context = {"d": p.demarche, "message": message, **_participant_context(p, saisie, request.GET.get("theme"), (message or {}).get("theme"))}
    response = render(request, "web/partage_lien.html", context, status=status)
    # the token stays out of other sites' logs; "no-referrer" would make the form's POST send
    # "Origin: null", which the CSRF check refuses
    response["Referrer-Policy"] = "same-origin"
    return response


def _plan_context(d: Demarche, t, lead: bool) -> dict:
    """The master plan's part of a démarche's page: the lead's parameters, the draft's link,
    what changed since the last validated version, and once validated its tracked targets."""
    params = d.parametres or schema.parameters({})
    found = partage.plan_changes(d)
    return {
        "parametres": params,
        "couts": schema.cost_fields(params),
        "lien": f"{reverse('schema-directeur', args=[t.niveau, t.code])}?{schema.query_of(params).lstrip('&')}",
        "financeurs": [(f, schema.FUNDER_LABELS[f], params["parts"][f]) for f in schema.FUNDERS],
        "cibles": ", ".join(map(str, params["cibles"])),
        "modifiable": lead and d.statut not in (Demarche.VALIDEE, Demarche.ARCHIVEE),
        "precedente": found[0] if found else None,
        "changements": found[1] if found else None,
        "suivi": partage.track_plan(d),
    }


def frozen_pdf(d: Demarche) -> bytes:
    """The validated diagnostic (or master plan) as a tagged PDF, written from its frozen
    snapshot only."""
    from weasyprint import HTML

    if d.livrable == Demarche.SCHEMA:
        return schema.as_pdf(partage.territory_of(d), partage.plan_of(d), partage.plan_validation(d))
    html = render_to_string("web/partage_pdf.html", {"d": d, "gel": d.gel, "chiffres_figes": partage.frozen_figures(d.gel), "t": partage.territory_of(d)})
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


@login_required
def pdf(request: HttpRequest, pk: int) -> HttpResponse:
    d = _visible(request, pk)
    if not d.gel_pdf:
        raise Http404
    response = HttpResponse(bytes(d.gel_pdf), content_type="application/pdf")
    name = "schema-directeur" if d.livrable == Demarche.SCHEMA else "diagnostic-partage"
    response["Content-Disposition"] = f'attachment; filename="{name}-{d.pk}-v{d.version}.pdf"'
    return response


PLAN_TYPES = {"csv": "text/csv; charset=utf-8", "ods": "application/vnd.oasis.opendocument.spreadsheet"}


@login_required
def plan_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    d = _visible(request, pk)
    if fmt not in PLAN_TYPES:
        raise Http404
    response = HttpResponse(services.plan_file(d, fmt), content_type=PLAN_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="plan-actions-{d.pk}.{fmt}"'
    return response


def public(request: HttpRequest, pk: int) -> HttpResponse:
    """A validated diagnostic its lead published: the frozen figures, priorities, consolidation
    and contributions (names only where the participant consented or is an organisation)."""
    d = get_object_or_404(Demarche.objects.select_related("porteur"), pk=pk, publiee=True, statut__in=(Demarche.VALIDEE, Demarche.ARCHIVEE))
    context = {
        "d": d,
        "gel": d.gel,
        "chiffres_figes": partage.frozen_figures(d.gel),
        "t": Territory.objects.get(niveau=d.territoire_niveau, code=d.territoire_code),
    }
    if d.livrable == Demarche.SCHEMA:  # the validated plan itself, as its PDF reads
        context |= {"s": partage.plan_of(d), "validation": partage.plan_validation(d)}
    return render(request, "web/partage_public.html", context)
