"""The capacity mode in force: the settings' `capaciteit`, overridden without a restart by a
Prefect Variable (name in `levensloop.capaciteit_variabele`, default `capaciteitsmodus`)."""

from __future__ import annotations

from prefect.variables import Variable

from models.regels.besluiten import effectieve_modus
from models.regels.instellingen import CapaciteitsModus, Instellingen, instellingen


def capaciteitsmodus_en_bron(regio: Instellingen | None = None) -> tuple[CapaciteitsModus, str]:
    """(mode, "variabele" | "instellingen"). Needs the Prefect API."""
    regio = regio or instellingen()
    waarde = Variable.get(regio.levensloop.capaciteit_variabele, default=None)
    return effectieve_modus(regio.capaciteit, str(waarde) if waarde is not None else None)


def capaciteitsmodus(regio: Instellingen | None = None) -> CapaciteitsModus:
    """normaal or continuiteitsplan, as it holds right now."""
    return capaciteitsmodus_en_bron(regio)[0]


def zet_capaciteitsmodus(modus: CapaciteitsModus, regio: Instellingen | None = None) -> None:
    """Switch the mode for every running flow, from the next decision on."""
    regio = regio or instellingen()
    Variable.set(regio.levensloop.capaciteit_variabele, modus.value, overwrite=True)
