"""The lifecycle of a casus (Handelingsprotocol Veilig Thuis) as one table of allowed transitions."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    ontvangen = "ontvangen"
    veiligheidscheck = "veiligheidscheck"
    veiligheidsbeoordeling = "veiligheidsbeoordeling"
    besluit = "besluit"
    werkvoorraad = "werkvoorraad"
    onderzoek = "onderzoek"
    voorwaarden_en_vervolg = "voorwaarden_en_vervolg"
    rvdk_verzoek = "rvdk_verzoek"
    overdracht = "overdracht"
    monitoring = "monitoring"
    afgesloten = "afgesloten"


S = Status

OVERGANGEN: dict[Status, frozenset[Status]] = {
    S.ontvangen: frozenset({S.veiligheidscheck}),
    # A melding that turns out not to be admissible is closed straight after the check.
    S.veiligheidscheck: frozenset({S.veiligheidsbeoordeling, S.afgesloten}),
    S.veiligheidsbeoordeling: frozenset({S.besluit}),
    S.besluit: frozenset(
        {S.afgesloten, S.overdracht, S.voorwaarden_en_vervolg, S.onderzoek, S.werkvoorraad, S.rvdk_verzoek}
    ),
    # Waiting cases are re-assessed, start when capacity frees up, or go straight to the lokaal team.
    S.werkvoorraad: frozenset(
        {S.onderzoek, S.voorwaarden_en_vervolg, S.overdracht, S.veiligheidsbeoordeling, S.afgesloten}
    ),
    S.onderzoek: frozenset({S.overdracht, S.voorwaarden_en_vervolg, S.rvdk_verzoek, S.afgesloten}),
    S.voorwaarden_en_vervolg: frozenset({S.monitoring, S.overdracht, S.onderzoek, S.afgesloten}),
    S.rvdk_verzoek: frozenset({S.overdracht, S.monitoring, S.afgesloten}),
    # Continuity plan, overdrachtstafel (seed 004): the team takes over with VT's help on the safety
    # conditions (V&V), or does not take over and the casus waits on the werkvoorraad again.
    S.overdracht: frozenset({S.monitoring, S.afgesloten, S.voorwaarden_en_vervolg, S.werkvoorraad}),
    # Not safe after all: back to VT for a new assessment.
    S.monitoring: frozenset({S.veiligheidsbeoordeling, S.afgesloten}),
    S.afgesloten: frozenset(),
}

OPEN_STATUSSEN = frozenset(s for s in Status if s is not Status.afgesloten)


class Afloop(StrEnum):
    """How a closed casus ended, after the VNG list of outcomes of a VT melding: read from the
    state it was closed from (AFLOOP_VANUIT). The ZGW export's resultaat."""

    niet_ontvankelijk = "niet_ontvankelijk"  # closed straight after the front-door check
    geen_vervolg = "geen_vervolg"  # einde bemoeienis after the assessment or from the waiting list
    vervolg_bij_veilig_thuis = "vervolg_bij_veilig_thuis"  # after an onderzoek, V&V or RvdK request
    overgedragen = "overgedragen"  # after a handover (and monitoring)


AFLOOP_VANUIT: dict[Status, Afloop] = {
    S.veiligheidscheck: Afloop.niet_ontvankelijk,
    S.besluit: Afloop.geen_vervolg,
    S.werkvoorraad: Afloop.geen_vervolg,
    S.onderzoek: Afloop.vervolg_bij_veilig_thuis,
    S.voorwaarden_en_vervolg: Afloop.vervolg_bij_veilig_thuis,
    S.rvdk_verzoek: Afloop.vervolg_bij_veilig_thuis,
    S.overdracht: Afloop.overgedragen,
    S.monitoring: Afloop.overgedragen,
}


def stap_in_woorden(status: Status | str) -> str:
    """The step as staff read it in a run's tags and on the work list: 'voorwaarden en vervolg'."""
    return str(getattr(status, "value", status)).replace("_", " ")


class OngeldigeOvergang(ValueError):
    def __init__(self, casus_referentie: str, huidig: Status, gevraagd: Status):
        toegestaan = ", ".join(sorted(OVERGANGEN[huidig])) or "geen (eindtoestand)"
        super().__init__(
            f"Casus {casus_referentie}: overgang van '{huidig}' naar '{gevraagd}' is niet toegestaan "
            f"(toegestaan vanuit '{huidig}': {toegestaan})."
        )
        self.casus_referentie = casus_referentie
        self.huidig = huidig
        self.gevraagd = gevraagd


def controleer_overgang(casus_referentie: str, huidig: Status, gevraagd: Status) -> None:
    if gevraagd not in OVERGANGEN[huidig]:
        raise OngeldigeOvergang(casus_referentie, huidig, gevraagd)
