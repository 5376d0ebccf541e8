"""Coverage reports (operational app `apps.signalements`) seen as a pillar: the count of the
territory's reports of poorly covered zones and what became of them, on the territory page
and in the diagnostic report — counts only, never who reported. Rules: docs/couverture.md."""

from terrinum.pillars import Pillar, Section, lazy, register

PILLAR = register(
    Pillar(
        key="couverture",
        title="Signalements de couverture mobile",
        order=22,
        section=Section(
            "sc", "Signalements de couverture mobile", lazy("terrinum.pillars.couverture.section:compose"), "couverture/section.html", warehouse_only=False
        ),
        stamp=lazy("terrinum.pillars.couverture.section:stamp"),
    )
)
