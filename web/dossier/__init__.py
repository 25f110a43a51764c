"""The dossier pages: where staff read what a casus is about before they decide (issue 14 item 4).

The gateway (web.toegang) mounts `maak_app(engine=..., inzage=...)` under /dossier after it has
established who the person is: it puts a `models.regels.toegang.Gebruiker` in
`request.scope["gebruiker"]` and passes `inzage(request, wat, casus_referentie)`, which writes one
line to the access log. This app calls it once for every dossier view, letter download and
search, before the person sees anything; `wat` is plain Dutch and never holds what was searched
for. Without a person in scope every page is refused (401): the app has no entry point of its own.

Routes (relative to the mount point):

    GET  /                                start page: search by casusnummer, BSN, postcode + huisnummer
    GET  /zoeken?referentie=...           search by casusnummer (goes to the dossier when found)
    POST /zoeken/bsn                      search by BSN (in the body, never in a URL or a log)
    POST /zoeken/adres                    search by postcode + huisnummer (in the body)
    GET  /casus/{referentie}              the dossier of a casus
    GET  /casus/{referentie}/brief/{id}   the archived PDF of one of its letters
"""

from web.dossier.app import Inzage, maak_app

__all__ = ["Inzage", "maak_app"]
