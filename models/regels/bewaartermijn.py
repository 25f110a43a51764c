"""When a closed casus is past its bewaartermijn (settings `bewaartermijn_jaren`).

Counted on the calendar in Europe/Amsterdam, from the day the casus was closed: a casus closed
on 1 March 2027 (whatever the hour, Dutch time) may be destroyed from 00:00 on 1 March 2047 with
a term of 20 years. A casus closed on 29 February is due on 28 February of a year without that
day (dateutil's relativedelta), never a day early and never a day late.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

from models.regels.kalender import AMSTERDAM
from models.regels.perioden import lees_dag, middernacht


def vernietigen_vanaf(afgesloten_op: dt.datetime, jaren: int) -> dt.datetime:
    """The first moment (00:00 Dutch time) at which a casus closed at `afgesloten_op` is due."""
    dag = afgesloten_op.astimezone(AMSTERDAM).date() + relativedelta(years=jaren)
    return dt.datetime.combine(dag, dt.time(), AMSTERDAM)


def afgesloten_voor(peilmoment: dt.datetime, jaren: int) -> dt.datetime:
    """Every casus closed before this moment is due at `peilmoment`, and no other: the start of
    the day after the last closing day whose term has run out (a bound a query can use)."""
    vandaag = peilmoment.astimezone(AMSTERDAM).date()
    laatste = vandaag - relativedelta(years=jaren)
    # 28 February minus N years misses a 29 February that is due today as well.
    while laatste + dt.timedelta(days=1) + relativedelta(years=jaren) <= vandaag:
        laatste += dt.timedelta(days=1)
    return dt.datetime.combine(laatste + dt.timedelta(days=1), dt.time(), AMSTERDAM)


VANDAAG = "vandaag"  # the run form's default: the run looks at this moment


def peilmoment(proefdraai: bool, peildatum: str, nu: dt.datetime) -> dt.datetime:
    """The moment a run looks at, from its form: now, or, in a dry run only, 00:00 Dutch time on
    the day typed (a casus due that day is shown). Destroying is always done now, never ahead.
    Raises ValueError with the reason in Dutch."""
    try:
        dag = lees_dag(peildatum, (VANDAAG,))
    except ValueError:
        raise ValueError(f"'{peildatum.strip()}' is geen datum. Vul de peildatum in als dag-maand-jaar, "
                         f"bijvoorbeeld 01-03-2047, of '{VANDAAG}'.") from None
    if dag is None:
        return nu
    if not proefdraai:
        raise ValueError("Een peildatum kan alleen bij een proefdraai: vernietigen gebeurt altijd op dit "
                         f"moment, nooit vooruit. Zet 'Proefdraai' aan of laat '{VANDAAG}' staan.")
    return middernacht(dag)
