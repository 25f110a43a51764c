"""The yearly overview of the plustaken per gemeente (seed 003): activities and hours against the
purchased hours, and the joint onderzoeken, for the talks with each gemeente about the contract."""

from __future__ import annotations

from prefect import flow

from tasks.plustaken import maak_jaaroverzicht


@flow(name="plustaken-jaaroverzicht", log_prints=False)
def plustaken_jaaroverzicht(jaar: int) -> list[str]:
    """Maak het jaaroverzicht van de plustaken per gemeente (artefact en bestanden)."""
    return maak_jaaroverzicht(jaar)
