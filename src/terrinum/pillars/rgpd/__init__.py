"""RGPD mutualisé (operational app `apps.rgpd`) seen as a pillar: its section of the territory
page and of the diagnostic report. Rules: docs/rgpd.md."""

from terrinum.pillars import Pillar, Section, lazy, register

PILLAR = register(
    Pillar(
        key="rgpd",
        title="RGPD",
        order=48,
        section=Section("rg", "Registres RGPD", lazy("terrinum.pillars.rgpd.section:compose"), "rgpd/section.html", warehouse_only=False),
        stamp=lazy("terrinum.pillars.rgpd.section:stamp"),
    )
)
