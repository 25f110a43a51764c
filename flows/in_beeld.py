"""The sentinel "casussen in beeld" (deployment "casussen in beeld", on an interval from the
settings): every open casus must wait at its decision in the Prefect UI (a Suspended run), or be
busy for a moment between two forms. A casus whose run crashed, failed, was cancelled, ended,
hangs, waits at another decision or left follow-ups undone is brought back: a fresh lifecycle run
finishes the follow-ups (nothing twice) and waits at the decision. When that cannot be done the
team leader gets an e-mail at once.
"""

from __future__ import annotations

from prefect import flow

from models.regels.instellingen import instellingen
from tasks.bezorging import bezorg_notificaties, plaats_notificatie
from tasks.in_beeld import breng_terug_in_beeld, zoek_casussen_buiten_beeld


@flow(name="casussen-in-beeld", log_prints=False)
def casussen_in_beeld(zonder_hartslag: str | None = None) -> dict[str, int]:
    """Breng elke open casus die niet bij zijn besluit wacht terug in beeld. Geeft tellingen terug.
    `zonder_hartslag`: de run waarvan Prefect geen hartslag meer hoorde (de automation
    'levensloop zonder hartslag' vult hem in); die wordt eerst gecontroleerd."""
    # At most this many new runs per pass (the rest the next pass): a fresh Prefect database
    # must not start every casus of the region at once.
    ruimte = instellingen().levensloop.gelijktijdige_starts
    tellingen: dict[str, int] = {}
    for geval in zoek_casussen_buiten_beeld([zonder_hartslag] if zonder_hartslag else None):
        if tellingen.get("hersteld", 0) >= ruimte:
            tellingen["volgende_ronde"] = tellingen.get("volgende_ronde", 0) + 1
            continue
        herstel = breng_terug_in_beeld(geval)
        if herstel.bericht is not None:
            bezorg_notificaties(alleen=[plaats_notificatie(**herstel.bericht)])
        tellingen[herstel.uitkomst] = tellingen.get(herstel.uitkomst, 0) + 1
    return tellingen
