"""Forms of the coverage-report pages (server-side; the map click only fills the
coordinates, which can be typed)."""

from __future__ import annotations

from django import forms

from terrinum.apps.signalements.models import CONCERNED, FREQUENCIES, OPERATORS, USAGES, Zone
from terrinum.apps.signalements.services import DEFAULT_DISTANCE_M

MAX_FILE_BYTES = 2 * 1024 * 1024


class ReportForm(forms.Form):
    latitude = forms.FloatField(label="Latitude (degrés décimaux, ex. 49,70)", required=False, min_value=-90, max_value=90, localize=True)
    longitude = forms.FloatField(label="Longitude (degrés décimaux, ex. 4,42)", required=False, min_value=-180, max_value=180, localize=True)
    lieu_dit = forms.CharField(label="Lieu-dit ou repère (si vous ne placez pas de point)", required=False, max_length=200)
    operateurs = forms.MultipleChoiceField(label="Opérateurs concernés", choices=OPERATORS, widget=forms.CheckboxSelectMultiple)
    usages = forms.MultipleChoiceField(label="Ce qui ne fonctionne pas", choices=USAGES, widget=forms.CheckboxSelectMultiple)
    frequence = forms.ChoiceField(label="Fréquence", choices=FREQUENCIES, widget=forms.RadioSelect)
    concernes = forms.MultipleChoiceField(label="Qui ou quoi est touché", choices=CONCERNED, widget=forms.CheckboxSelectMultiple, required=False)
    personnes = forms.IntegerField(label="Nombre de personnes concernées (estimation, facultatif)", required=False, min_value=0, max_value=100000)
    description = forms.CharField(label="Précisions (facultatif)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    mesures = forms.FileField(
        label="Mesures d'une application (CSV : latitude, longitude, opérateur, technologie, débit en Mbit/s ; facultatif)", required=False
    )

    def clean_mesures(self):
        f = self.cleaned_data.get("mesures")
        if f and f.size > MAX_FILE_BYTES:
            raise forms.ValidationError("fichier de plus de 2 Mo")
        return f


class RegroupForm(forms.Form):
    distance = forms.IntegerField(label="Distance de regroupement (mètres)", min_value=100, max_value=20000, initial=DEFAULT_DISTANCE_M)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label="Décision", choices=Zone.DECISIONS)
    motif = forms.CharField(label="Motif (obligatoire pour écarter)", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
