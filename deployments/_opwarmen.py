"""Work every run would otherwise do first, done once in the forkserver the runs are forked from
(deployments/serve.py imports this module there): the settings file read and validated (which
loads every notification plugin of apprise to check the mail addresses), this year's and next
year's feestdagen, every text template compiled, and WeasyPrint's fonts and style sheets set up
by one small PDF. Each on a busy machine took a second or more of every resumed lifecycle run.

A child forked after this finds all of it in memory. A settings file changed later is read
again by the run itself (the settings cache compares the file's stat). Nothing here opens a
database connection, a socket or a thread, which a fork must not copy.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from pathlib import Path


def _opwarmen() -> None:
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
    _opwarmen()
except Exception as fout:  # the forkserver must start anyway; each run then does this itself
    logging.getLogger("vt.serve").warning("Opwarmen van het voorgeladen proces mislukt: %s", fout)
