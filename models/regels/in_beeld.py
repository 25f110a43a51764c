""""Every open casus is in sight": when is the lifecycle run of an open casus not waiting at its
decision? Pure rules (no Prefect, no database); the sentinel flow feeds them what the case store
and Prefect say and brings back every casus these rules name.

A healthy open casus has a run that is Paused (Suspended) at the decision the case store says it
waits for, or that runs right now for a few seconds between two forms. Anything else means the
casus fell out of the team's work list (the Suspended runs) and nobody would notice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Bevinding(StrEnum):
    """Why a casus is out of sight (a code for the audit trail; Dutch text in OMSCHRIJVING)."""

    geen_run = "geen_run"
    run_onbekend = "run_onbekend"
    gecrasht = "gecrasht"
    mislukt = "mislukt"
    geannuleerd = "geannuleerd"
    annuleren_hangt = "annuleren_hangt"
    voltooid_terwijl_open = "voltooid_terwijl_open"
    loopt_te_lang = "loopt_te_lang"
    start_hangt = "start_hangt"
    wacht_bij_ander_besluit = "wacht_bij_ander_besluit"
    nazorg_blijft_liggen = "nazorg_blijft_liggen"
    hartslag_gemist = "hartslag_gemist"


OMSCHRIJVING: dict[Bevinding, str] = {
    Bevinding.geen_run: "de casus had geen levensloop-run",
    Bevinding.run_onbekend: "de levensloop-run van de casus bestaat niet (meer) in Prefect",
    Bevinding.gecrasht: "de levensloop-run is gecrasht (het proces stopte onverwacht)",
    Bevinding.mislukt: "de levensloop-run is mislukt",
    Bevinding.geannuleerd: "de levensloop-run is geannuleerd",
    Bevinding.annuleren_hangt: "de levensloop-run bleef hangen bij het annuleren",
    Bevinding.voltooid_terwijl_open: "de levensloop-run is klaar, maar de casus is nog open",
    Bevinding.loopt_te_lang: "de levensloop-run loopt veel langer dan een stap duurt (het proces is waarschijnlijk "
                             "gestopt)",
    Bevinding.start_hangt: "de levensloop-run wacht veel te lang op zijn start",
    Bevinding.wacht_bij_ander_besluit: "de levensloop-run wacht bij een ander besluit dan waar de casus staat",
    Bevinding.nazorg_blijft_liggen: "brieven of berichten van een besluit of melding zijn niet afgerond",
    Bevinding.hartslag_gemist: "het proces van de levensloop-run is onderbroken (Prefect hoorde geen hartslag meer: "
                               "een werkproces of machine viel uit)",
}

# Prefect state types (StateType values), as plain codes.
_EINDE = {"CRASHED": Bevinding.gecrasht, "FAILED": Bevinding.mislukt, "CANCELLED": Bevinding.geannuleerd,
          "COMPLETED": Bevinding.voltooid_terwijl_open}
_BEZIG = {"RUNNING": Bevinding.loopt_te_lang, "CANCELLING": Bevinding.annuleren_hangt,
          "PENDING": Bevinding.start_hangt, "SCHEDULED": Bevinding.start_hangt}
EINDSTATEN = frozenset(_EINDE)


class Werkstand(StrEnum):
    """What the work list says of a waiting casus's run (Dutch text in templates/werklijst)."""

    formulier_klaar = "formulier_klaar"  # Paused (Suspended) at its form
    wordt_verwerkt = "wordt_verwerkt"  # running a step, or about to start
    niet_in_beeld = "niet_in_beeld"  # no run, or one that ended: the sentinel brings it back


def werkstand(staat: str | None) -> Werkstand:
    """The work list's word for a run in Prefect state type `staat` (None: no run Prefect knows)."""
    if staat == "PAUSED":
        return Werkstand.formulier_klaar
    return Werkstand.wordt_verwerkt if staat in _BEZIG else Werkstand.niet_in_beeld


@dataclass(frozen=True)
class CasusStand:
    """What the case store says about an open casus."""

    referentie: str
    flow_run_id: str | None
    wacht_op: str | None = None  # the pause key of the decision it waits for (None: no person needed)
    nazorg_open_sinds: dt.datetime | None = None  # oldest decision or intake whose follow-up is not done
    afgesloten: bool = False  # closed: only its follow-ups (the closing letter) still matter


@dataclass(frozen=True)
class RunStand:
    """What Prefect says about the casus's lifecycle run."""

    staat: str  # StateType value, e.g. "PAUSED"
    sinds: dt.datetime  # when it entered that state
    pauzesleutel: str | None = None
    # Running or Pending, but Prefect heard nothing of it for a while: its process is gone.
    zonder_hartslag: bool = False


def wacht_bij(pauzesleutel: str | None, besluitsleutel: str | None) -> bool:
    """Is a run paused at `pauzesleutel` waiting for the decision `besluitsleutel`? A refused
    form is asked again under `<key>-poging-<n>` (flows.formulieren)."""
    if pauzesleutel is None or besluitsleutel is None:
        return False
    return pauzesleutel == besluitsleutel or pauzesleutel.startswith(f"{besluitsleutel}-poging-")


def beoordeel(casus: CasusStand, run: RunStand | None, nu: dt.datetime, stap_max: dt.timedelta) -> Bevinding | None:
    """Why this open casus is out of sight, or None when its run waits at its decision (or is
    busy for less than `stap_max`). `run` is None when Prefect does not know the run. A closed
    casus is out of sight only while a decision's follow-ups (its closing letter) are not done."""
    nazorg_ligt = casus.nazorg_open_sinds is not None and nu - casus.nazorg_open_sinds > stap_max
    if casus.afgesloten and casus.nazorg_open_sinds is None:
        return None
    if casus.flow_run_id is None:
        # An intake registers its melding a moment before it starts the run (follow-ups open since then).
        bezig = casus.nazorg_open_sinds is not None and nu - casus.nazorg_open_sinds <= stap_max
        return None if bezig else Bevinding.geen_run
    if run is None:
        return Bevinding.run_onbekend
    if run.staat == "COMPLETED" and casus.afgesloten:
        return Bevinding.nazorg_blijft_liggen  # it ended without finishing the follow-ups
    if run.staat in _EINDE:
        return _EINDE[run.staat]
    if run.staat in ("RUNNING", "PENDING") and run.zonder_hartslag:
        return Bevinding.hartslag_gemist
    if run.staat in _BEZIG:
        return _BEZIG[run.staat] if nu - run.sinds > stap_max else None
    # PAUSED: a run only pauses after finishing every follow-up, at the decision the casus waits for.
    if not casus.afgesloten and not wacht_bij(run.pauzesleutel, casus.wacht_op):
        return Bevinding.wacht_bij_ander_besluit
    return Bevinding.nazorg_blijft_liggen if nazorg_ligt else None


def te_vaak_hersteld(herstarts: list[dt.datetime], nu: dt.datetime, maximum: int, venster: dt.timedelta) -> bool:
    """Restarting again would loop: the casus was restarted `maximum` times within `venster`."""
    return sum(1 for moment in herstarts if nu - moment <= venster) >= maximum
