"""Who may do what: the four roles of staff and municipalities, and the logged-in person.

The gateway (package `web`) establishes who a person is (local account or the region's OpenID
Connect provider) and which roles they hold; everything behind it asks `Gebruiker.mag(...)`.
What each role may do is fixed here, in one table; which person holds which role comes from the
identity provider's claims or the accounts in the settings. Pure rules: no database, no Prefect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


# The actor of what happens without a logged-in person: a schedule, a test, a run started on the
# server's shell without --door. A decision through the gateway always names the account.
SYSTEEM = "systeem"


class Rol(str, Enum):
    medewerker = "medewerker"  # work list, forms, dossiers
    teamleider = "teamleider"  # also capacity mode, resending letters, knelpunten
    beheer = "beheer"  # accounts, settings, the access log; no case decisions
    gemeente = "gemeente"  # the reports for its own municipality; never a dossier or the Prefect UI


class Bevoegdheid(str, Enum):
    prefect_ui = "prefect_ui"  # the Prefect UI and API: work list, forms, decisions
    dossier_inzien = "dossier_inzien"  # read a casus's dossier, open its letters
    zoeken_op_persoon = "zoeken_op_persoon"  # search by BSN or postcode + house number
    teamleiderstaken = "teamleiderstaken"  # capacity mode, resend letters, knelpunten
    inzagelog_lezen = "inzagelog_lezen"  # who looked at which file
    beheer = "beheer"  # accounts and settings
    rapporten_eigen_gemeente = "rapporten_eigen_gemeente"  # the biweekly report of its municipality


BEVOEGDHEDEN: dict[Rol, frozenset[Bevoegdheid]] = {
    Rol.medewerker: frozenset({Bevoegdheid.prefect_ui, Bevoegdheid.dossier_inzien, Bevoegdheid.zoeken_op_persoon}),
    Rol.teamleider: frozenset({Bevoegdheid.prefect_ui, Bevoegdheid.dossier_inzien, Bevoegdheid.zoeken_op_persoon,
                               Bevoegdheid.teamleiderstaken}),
    # beheer reaches the Prefect UI to keep the system running (deployments, schedules), but the
    # gateway refuses it a decision on a casus (see web.toegang).
    Rol.beheer: frozenset({Bevoegdheid.prefect_ui, Bevoegdheid.inzagelog_lezen, Bevoegdheid.beheer}),
    Rol.gemeente: frozenset({Bevoegdheid.rapporten_eigen_gemeente}),
}


@dataclass(frozen=True)
class Gebruiker:
    """The logged-in person: a stable account name (goes into the audit trail and the access log),
    the name shown on screen, roles, and for role `gemeente` the CBS code of its municipality."""

    account: str
    naam: str
    rollen: frozenset[Rol] = field(default_factory=frozenset)
    gemeente: str | None = None

    def mag(self, bevoegdheid: Bevoegdheid) -> bool:
        return any(bevoegdheid in BEVOEGDHEDEN[rol] for rol in self.rollen)

    @property
    def mag_beslissen(self) -> bool:
        """Case decisions through a form: medewerker and teamleider, not beheer or gemeente."""
        return bool(self.rollen & {Rol.medewerker, Rol.teamleider})
