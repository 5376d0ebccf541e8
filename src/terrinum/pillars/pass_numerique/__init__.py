"""Pass numérique (operational app `apps.pass_numerique`) seen as a pillar: its section of the
territory page and of the diagnostic report. Rules: docs/pass-numerique.md."""

from terrinum.pillars import Pillar, Section, lazy, register

PILLAR = register(
    Pillar(
        key="pass-numerique",
        title="Pass numérique",
        order=45,
        section=Section("pn", "Pass numérique", lazy("terrinum.pillars.pass_numerique.section:compose"), "pass_numerique/section.html", warehouse_only=False),
        stamp=lazy("terrinum.pillars.pass_numerique.section:stamp"),
        facts=lazy("terrinum.pillars.pass_numerique.findings:facts"),
        rules=lazy("terrinum.pillars.pass_numerique.findings:rules"),
    )
)
