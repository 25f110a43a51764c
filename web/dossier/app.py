"""The dossier app (see the package docstring): routes, role checks, access logging, pages."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from models.lezen import dossier as lezen
from models.regels import zoeken
from models.regels.toegang import Bevoegdheid, Gebruiker
from models.opslag.typen import nu
from templates import render, tijdstip

# inzage(request, wat, casus_referentie): the gateway writes it to the access log.
Inzage = Callable[[Request, str, str | None], Awaitable[None] | None]

# Care data: never kept by a browser or a proxy, never shown inside another site's frame.
_KOPPEN = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
           "Referrer-Policy": "no-referrer"}
_MAX_FORMULIER = 4096  # bytes of a search form


def maak_app(*, engine: Engine, inzage: Inzage) -> Starlette:
    """The dossier pages on the case store `engine`; `inzage` logs every view, download and search."""
    pagina = _Paginas(engine, inzage)
    routes = [
        Route("/", pagina.start, name="start"),
        Route("/zoeken", pagina.zoek_referentie, name="zoek_referentie"),
        Route("/zoeken/bsn", pagina.zoek_bsn, methods=["POST"], name="zoek_bsn"),
        Route("/zoeken/adres", pagina.zoek_adres, methods=["POST"], name="zoek_adres"),
        Route("/casus/{referentie}", pagina.dossier, name="dossier"),
        Route("/casus/{referentie}/brief/{brief_id:int}", pagina.brief, name="brief"),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _foutpagina, Exception: _storingspagina})


def _gebruiker(request: Request, bevoegdheid: Bevoegdheid = Bevoegdheid.dossier_inzien) -> Gebruiker:
    gebruiker = request.scope.get("gebruiker")
    if not isinstance(gebruiker, Gebruiker):
        raise HTTPException(401, "U bent niet ingelogd. Log in via de startpagina van het systeem en open het "
                                 "dossier opnieuw.")
    if not gebruiker.mag(Bevoegdheid.dossier_inzien):
        raise HTTPException(403, "Uw account mag geen dossiers inzien. Dossiers zijn alleen voor medewerkers en "
                                 "teamleiders van Veilig Thuis; vraag beheer als u denkt dat dit niet klopt.")
    if not gebruiker.mag(bevoegdheid):
        raise HTTPException(403, "Uw account mag niet zoeken op BSN of adres. Zoek op casusnummer, of vraag "
                                 "een collega die dat wel mag.")
    return gebruiker


async def _log(inzage: Inzage, request: Request, wat: str, referentie: str | None) -> None:
    uitkomst = inzage(request, wat, referentie)
    if inspect.isawaitable(uitkomst):
        await uitkomst


def _pagina(request: Request, naam: str, status: int = 200, **context) -> HTMLResponse:
    gebruiker = request.scope.get("gebruiker")
    html = render(f"dossier/{naam}.html.j2", url=lambda route, **p: request.url_for(route, **p).path,
                  gebruiker=gebruiker if isinstance(gebruiker, Gebruiker) else None,
                  csrf_token=request.scope.get("csrf_token"), vragen=lezen.VRAGEN, nu=nu(),
                  iso_tijd=lambda tekst: tijdstip(dt.datetime.fromisoformat(tekst)), **context)
    return HTMLResponse(html, status_code=status, headers=_KOPPEN)


async def _formulier(request: Request) -> dict[str, str]:
    """An urlencoded search form (no multipart: a search has no files)."""
    body = await request.body()
    if len(body) > _MAX_FORMULIER:
        raise HTTPException(400, "Het zoekformulier is te groot.")
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


class _Paginas:
    def __init__(self, engine: Engine, inzage: Inzage):
        self.engine, self.inzage = engine, inzage

    def _lees(self, functie, *args):
        def werk():
            with Session(self.engine) as session:
                return functie(session, *args)
        return run_in_threadpool(werk)

    async def start(self, request: Request) -> Response:
        gebruiker = _gebruiker(request)
        return _pagina(request, "start", zoek_op_persoon=gebruiker.mag(Bevoegdheid.zoeken_op_persoon))

    async def zoek_referentie(self, request: Request) -> Response:
        gebruiker = _gebruiker(request)
        try:
            referentie = zoeken.casusreferentie(request.query_params.get("referentie", ""))
        except zoeken.Zoekfout as fout:
            return _pagina(request, "start", 400, fout=str(fout),
                           zoek_op_persoon=gebruiker.mag(Bevoegdheid.zoeken_op_persoon))
        treffers = await self._lees(lezen.zoek_op_referentie, referentie)
        if not treffers:
            return await self._resultaat(request, "gezocht op casusnummer", treffers, "dit casusnummer")
        await _log(self.inzage, request, "gezocht op casusnummer", referentie)
        return RedirectResponse(request.url_for("dossier", referentie=referentie).path, 303, headers=_KOPPEN)

    async def zoek_bsn(self, request: Request) -> Response:
        _gebruiker(request, Bevoegdheid.zoeken_op_persoon)
        try:
            bsn = zoeken.bsn((await _formulier(request)).get("bsn", ""))
        except zoeken.Zoekfout as fout:
            return _pagina(request, "start", 400, fout=str(fout), zoek_op_persoon=True)
        treffers = await self._lees(lezen.zoek_op_bsn, bsn)
        return await self._resultaat(request, "gezocht op BSN", treffers, "dit BSN")

    async def zoek_adres(self, request: Request) -> Response:
        _gebruiker(request, Bevoegdheid.zoeken_op_persoon)
        formulier = await _formulier(request)
        try:
            postcode = zoeken.postcode(formulier.get("postcode", ""))
            huisnummer = zoeken.huisnummer(formulier.get("huisnummer", ""))
        except zoeken.Zoekfout as fout:
            return _pagina(request, "start", 400, fout=str(fout), zoek_op_persoon=True)
        treffers = await self._lees(lezen.zoek_op_adres, postcode, huisnummer)
        return await self._resultaat(request, "gezocht op postcode en huisnummer", treffers, "dit adres")

    async def _resultaat(self, request: Request, wat: str, treffers: list[lezen.Treffer], waarop: str) -> Response:
        """Log the search once per casus it revealed (once without a casus when it found none),
        then show the casussen found."""
        for treffer in treffers or [None]:
            await _log(self.inzage, request, wat, treffer.referentie if treffer else None)
        return _pagina(request, "resultaten", treffers=treffers, waarop=waarop,
                       zoek_op_persoon=_gebruiker(request).mag(Bevoegdheid.zoeken_op_persoon))

    async def dossier(self, request: Request) -> Response:
        _gebruiker(request)
        referentie = request.path_params["referentie"].strip().upper()
        try:
            gevonden = await self._lees(lezen.dossier, referentie)
        except lezen.OnbekendeCasus:
            raise HTTPException(404, f"Er is geen casus met casusnummer {referentie}. Controleer het nummer of "
                                     "zoek de casus op de startpagina.") from None
        await _log(self.inzage, request, "dossier bekeken", gevonden.casus.referentie)
        return _pagina(request, "dossier", d=gevonden)

    async def brief(self, request: Request) -> Response:
        _gebruiker(request)
        referentie = request.path_params["referentie"].strip().upper()
        try:
            bestand = await self._lees(lezen.brief_bestand, referentie, request.path_params["brief_id"])
        except lezen.OnbekendeCasus:
            raise HTTPException(404, f"Er is geen casus met casusnummer {referentie}.") from None
        except lezen.BriefNietBeschikbaar as fout:
            raise HTTPException(404, str(fout)) from None
        await _log(self.inzage, request, "brief geopend", referentie)
        return Response(bestand.inhoud, media_type="application/pdf", headers={
            **_KOPPEN, "Content-Disposition": f'inline; filename="{bestand.bestandsnaam}"'})


_TITELS = {400: "Kan niet zoeken", 401: "Niet ingelogd", 403: "Geen toegang", 404: "Niet gevonden",
           405: "Niet toegestaan"}


async def _foutpagina(request: Request, fout: HTTPException) -> Response:
    melding = fout.detail if fout.status_code in _TITELS and fout.detail != "Not Found" else None
    if fout.status_code == 404 and melding is None:
        melding = "Deze pagina bestaat niet. Ga terug naar de startpagina van de dossiers."
    if fout.status_code == 405:
        melding = "Deze pagina opent u via het zoekformulier op de startpagina."
    return _pagina(request, "fout", fout.status_code, titel=_TITELS.get(fout.status_code, "Fout"),
                   melding=melding or "Er ging iets mis.")


async def _storingspagina(request: Request, fout: Exception) -> Response:
    # Never the exception text: it may quote personal data. The server log has the traceback.
    return _pagina(request, "fout", 500, titel="Storing",
                   melding="Het dossier kan nu niet worden getoond door een storing. Probeer het over een paar "
                           "minuten opnieuw; blijft het misgaan, meld het dan bij beheer.")
