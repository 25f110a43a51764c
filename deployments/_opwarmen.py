"""Work every run would otherwise do first, done once in the forkserver the runs are forked from
(deployments/serve.py imports this module there): the settings file read and validated (which
loads every notification plugin of apprise to check the mail addresses), this year's and next
year's feestdagen, every text template compiled, and WeasyPrint's fonts and style sheets set up
by one small PDF. Each on a busy machine took a second or more of every resumed lifecycle run.
Also the modules Prefect imports at a run's first task, the case store's ORM mappers, and one TLS
context for all Prefect API clients of a run (deployments/_tls.py).

Last, everything loaded so far is frozen out of the garbage collector (`gc.freeze()`, as Python's
documentation advises before forking): 320,000 objects, which every run otherwise walked in each
full collection (0.16 s of CPU each on a quiet machine), writing to every page it shares with
the forkserver and so copying it.

A child forked after this finds all of it in memory. A settings file changed later is read
again by the run itself (the settings cache compares the file's stat). Nothing here opens a
database connection, a socket or a thread, which a fork must not copy.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import logging
import tempfile
from pathlib import Path

from deployments._tls import een_tls_context


# Modules Prefect and SQLAlchemy import only when a run calls its first task, opens its event
# loop or connects to the case store: each run imported them itself (seen in py-spy profiles).
_BIJ_DE_EERSTE_TAAK = ("prefect.task_engine", "prefect.utilities.visualization", "anyio._backends._asyncio",
                       "sqlite3", "psycopg")


def _opwarmen() -> None:
    for module in _BIJ_DE_EERSTE_TAAK:
        importlib.import_module(module)
    from sqlalchemy.orm import configure_mappers

    configure_mappers()  # the case store's ORM, set up by each run's first query otherwise
    from models.brieven.pdf import maak_pdf
    from models.regels.instellingen import instellingen
    from models.regels.kalender import werkkalender
    from templates import omgeving

    regio = instellingen()
    kalender = werkkalender(regio)
    vandaag = dt.date.today()
    kalender.plus_werkdagen(vandaag, 1)
    kalender.is_werkdag(vandaag.replace(year=vandaag.year + 1))
    env = omgeving()
    for naam in env.list_templates(filter_func=lambda n: n.endswith(".j2")):
        env.get_template(naam)
    maak_pdf("<p>opwarmen</p>", Path(tempfile.gettempdir()))


try:
    een_tls_context()
    _opwarmen()
except Exception as fout:  # the forkserver must start anyway; each run then does this itself
    logging.getLogger("vt.serve").warning("Opwarmen van het voorgeladen proces mislukt: %s", fout)
gc.collect()
gc.freeze()
