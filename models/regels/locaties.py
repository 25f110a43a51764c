"""Where a driegesprek takes place, with the address from the settings: the family's letter and
the lokaal team's invitation name the place and how to get there."""

from __future__ import annotations

from models.regels.besluiten import Locatie
from models.regels.instellingen import Instellingen


def adres_van(locatie: str | None, regio: Instellingen, gemeente_code: str, lokaal_team_code: str | None) -> str | None:
    """The address of a meeting place chosen on the form; None for the family's home (the
    address stays in the file) and online."""
    gemeente = regio.gemeente(gemeente_code)
    if locatie == Locatie.kantoor_veilig_thuis:
        a = regio.afzender
        return f"{a.adres}, {a.postcode} {a.plaats}"
    if locatie == Locatie.gemeentehuis:
        return gemeente.gemeentehuis
    if locatie == Locatie.kantoor_lokaal_team:
        team = next((t for t in gemeente.lokale_teams if t.code == lokaal_team_code), None)
        return team.adres if team else None
    return None
