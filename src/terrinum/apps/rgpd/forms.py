"""Forms of the RGPD pages (server-side, no JavaScript needed)."""

from __future__ import annotations

from django import forms

from terrinum.apps.rgpd.models import DPIA_CRITERIA, MEASURES, Activite, Demande, Donnee, Violation

DESTINATION_TYPES = {"interne", "externe", "sous-traitant"}


class ActivityForm(forms.ModelForm):
    personnes_texte = forms.CharField(label="Catégories de personnes concernées (une par ligne)", widget=forms.Textarea(attrs={"rows": 3}))
    destinataires_texte = forms.CharField(
        label="Destinataires (un par ligne : nom ; interne, externe ou sous-traitant)", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    mesures = forms.MultipleChoiceField(label="Mesures de sécurité", choices=MEASURES, widget=forms.CheckboxSelectMultiple, required=False)
    criteres_aipd = forms.MultipleChoiceField(
        label="Critères d'analyse d'impact (la CNIL en demande une à partir de deux)",
        choices=DPIA_CRITERIA,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Activite
        fields = [
            "nom",
            "finalites",
            "role",
            "responsables_conjoints",
            "pour_le_compte_de",
            "base_legale",
            "justification",
            "transferts",
            "garanties",
            "logiciels",
            "source",
            "aipd_statut",
        ]
        labels = {
            "nom": "Nom de l'activité",
            "finalites": "Finalités",
            "role": "Rôle de la collectivité",
            "pour_le_compte_de": "Si la collectivité agit en sous-traitant : pour le compte de quels responsables de traitement (noms, coordonnées)",
            "base_legale": "Base légale (art. 6)",
            "justification": "Justification de la base légale",
            "transferts": "Transferts hors de l'Union européenne",
            "garanties": "Garanties de ces transferts",
            "logiciels": "Logiciels utilisés",
            "source": "Source des données",
            "aipd_statut": "État de l'analyse d'impact",
        }
        widgets = {
            "finalites": forms.Textarea(attrs={"rows": 3}),
            "justification": forms.Textarea(attrs={"rows": 2}),
            "pour_le_compte_de": forms.Textarea(attrs={"rows": 2}),
            "transferts": forms.Textarea(attrs={"rows": 2}),
            "garanties": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        a = self.instance
        self.initial.setdefault("personnes_texte", "\n".join(a.personnes))
        self.initial.setdefault("destinataires_texte", "\n".join(f"{d.get('nom', '')} ; {d.get('type', '')}" for d in a.destinataires))
        self.initial.setdefault("mesures", a.mesures)
        self.initial.setdefault("criteres_aipd", a.criteres_aipd)

    def clean_destinataires_texte(self):
        out = []
        for n, line in enumerate(self.cleaned_data["destinataires_texte"].splitlines(), 1):
            if not line.strip():
                continue
            nom, _, kind = line.rpartition(";")
            kind = kind.strip().lower()
            if not nom.strip() or kind not in DESTINATION_TYPES:
                raise forms.ValidationError(f"ligne {n} : « nom ; type », le type étant interne, externe ou sous-traitant")
            out.append({"nom": nom.strip(), "type": kind})
        return out

    def apply(self) -> Activite:
        a = self.instance
        a.personnes = [line.strip() for line in self.cleaned_data["personnes_texte"].splitlines() if line.strip()]
        a.destinataires = self.cleaned_data["destinataires_texte"]
        a.mesures = list(self.cleaned_data["mesures"])
        a.criteres_aipd = list(self.cleaned_data["criteres_aipd"])
        return a


DataFormSet = forms.inlineformset_factory(
    Activite,
    Donnee,
    fields=["categorie", "sensible", "nir", "duree", "sort_final"],
    labels={"categorie": "Catégorie de données", "sensible": "Sensible (art. 9)", "nir": "NIR", "duree": "Durée de conservation", "sort_final": "Sort final"},
    extra=2,
    can_delete=True,
)


class RequestForm(forms.Form):
    droit = forms.ChoiceField(label="Droit exercé", choices=Demande.RIGHTS)
    recue_le = forms.DateTimeField(label="Reçue le (heure locale de la collectivité)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reference = forms.CharField(label="Référence interne (pas de nom)", required=False, max_length=60)
    identite_verifiee = forms.BooleanField(label="Identité vérifiée", required=False)


class BreachForm(forms.Form):
    connue_le = forms.DateTimeField(label="Connue le (heure locale de la collectivité)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    natures = forms.MultipleChoiceField(label="Nature", choices=Violation.NATURES, widget=forms.CheckboxSelectMultiple)
    cause = forms.CharField(label="Cause", widget=forms.Textarea(attrs={"rows": 2}))
    donnees = forms.CharField(label="Données concernées", widget=forms.Textarea(attrs={"rows": 2}))
    personnes = forms.IntegerField(label="Nombre approximatif de personnes concernées", min_value=0)
    risque = forms.ChoiceField(label="Risque pour les personnes", choices=Violation.RISKS)
    categories_personnes = forms.CharField(
        label="Catégories de personnes concernées (ex. usagers de la cantine, agents)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    enregistrements = forms.IntegerField(label="Nombre approximatif d'enregistrements concernés", min_value=0, required=False)
    consequences = forms.CharField(label="Conséquences probables pour les personnes", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    mesures = forms.CharField(label="Mesures prises ou envisagées", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    activites = forms.ModelMultipleChoiceField(label="Traitements concernés", queryset=None, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, collectivite=None, **kwargs):
        super().__init__(*args, **kwargs)
        from terrinum.apps.rgpd.models import Activite

        self.fields["activites"].queryset = Activite.objects.filter(collectivite=collectivite).order_by("nom") if collectivite else Activite.objects.none()
