"""Switching the capacity mode (continuity plan) is a decision of the region, not of one casus:
it is kept in the audit trail without a casus, with who switched, from what to what and why."""

from __future__ import annotations

from sqlmodel import Session

from models.dossier.knelpunt import controleer_tekst
from models.dossier.wijzigingen import audit
from models.regels.instellingen import CapaciteitsModus


def leg_wissel_vast(session: Session, van: CapaciteitsModus, naar: CapaciteitsModus, reden: str, door: str) -> None:
    """Audit event `capaciteitsmodus` (no casus). The reason is organisational text: refused
    (ValueError, Dutch) when it looks like personal data or a case reference."""
    reden = controleer_tekst(reden)
    audit(session, None, door.strip(), "capaciteitsmodus", reden=reden[:500],
          details=dict(van=van.value, naar=naar.value))
    session.flush()
