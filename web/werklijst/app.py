"""The work list app (see the package docstring): the filters, the page, its role check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from models.lezen import werklijst as lezen
from models.opslag.typen import nu
from models.regels.in_beeld import werkstand
from models.regels.instellingen import Urgentie
from models.regels.levensloop import Status
from models.regels.toegang import Bevoegdheid, Gebruiker
from templates import render

# runstaten(run_ids): {run id: Prefect state type} of the runs Prefect knows; None: no answer.
Runstaten = Callable[[list[str]], Awaitable[dict[str, str] | None]]

# As the dossier pages: never kept by a browser or a proxy, never inside another site's frame.
_KOPPEN = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
           "Referrer-Policy": "no-referrer"}


def maak_app(*, engine: Engine, runstaten: Runstaten) -> Starlette:
    pagina = _Pagina(engine, runstaten)
    return Starlette(routes=[Route("/", pagina.werklijst, name="werklijst")],
                     exception_handlers={HTTPException: _foutpagina, Exception: _storingspagina})


def _gebruiker(request: Request) -> Gebruiker:
    gebruiker = request.scope.get("gebruiker")
    if not isinstance(gebruiker, Gebruiker):
        raise HTTPException(401, "U bent niet ingelogd. Log in via de startpagina van het systeem en open de "
                                 "werklijst opnieuw.")
    if not gebruiker.mag(Bevoegdheid.prefect_ui):
        raise HTTPException(403, "De werklijst is alleen voor medewerkers, teamleiders en beheer van Veilig Thuis.")
    return gebruiker


def _html(request: Request, naam: str, status: int = 200, **context) -> HTMLResponse:
    gebruiker = request.scope.get("gebruiker")
    html = render(f"werklijst/{naam}.html.j2", gebruiker=gebruiker if isinstance(gebruiker, Gebruiker) else None,
                  dossier_inzien=Bevoegdheid.dossier_inzien, **context)
    return HTMLResponse(html, status_code=status, headers=_KOPPEN)


def _filter(request: Request, gemeenten: dict[str, str]) -> tuple[lezen.Filter, list[str]]:
    """The filter the query asks for, and in Dutch what of it could not be read (then ignored)."""
    vraag, fouten = request.query_params, []
    gemeente = vraag.get("gemeente") or None
    if gemeente and gemeente not in gemeenten:
        fouten.append("Deze gemeente hoort niet bij de regio; de lijst toont alle gemeenten.")
        gemeente = None
    stap = vraag.get("stap") or None
    if stap and stap not in {s.value for s in lezen.stappen()}:
        fouten.append("In deze stap wacht geen casus op een besluit; de lijst toont alle stappen.")
        stap = None
    urgentie = vraag.get("urgentie") or None
    if urgentie and urgentie not in {u.value for u in Urgentie}:
        fouten.append("Deze urgentie bestaat niet; de lijst toont alle urgenties.")
        urgentie = None
    tekst = vraag.get("pagina", "1").strip() or "1"
    if not tekst.isdecimal() or int(tekst[:12]) < 1:
        fouten.append("Het paginanummer is geen getal vanaf 1; de lijst toont de eerste pagina.")
        tekst = "1"
    # Twelve digits are past the last page already (it shows the last one).
    return lezen.Filter(gemeente, Status(stap) if stap else None, Urgentie(urgentie) if urgentie else None,
                        int(tekst[:12])), fouten


class _Pagina:
    def __init__(self, engine: Engine, runstaten: Runstaten):
        self.engine, self.runstaten = engine, runstaten

    async def werklijst(self, request: Request) -> Response:
        _gebruiker(request)

        def lees(vraag: Request):
            with Session(self.engine) as session:
                gemeenten = dict(lezen.gemeenten(session))
                filter_, fouten = _filter(vraag, gemeenten)
                return gemeenten, filter_, fouten, lezen.werklijst(session, filter_)

        gemeenten, filter_, fouten, lijst = await run_in_threadpool(lees, request)
        staten = await self.runstaten([r.flow_run_id for r in lijst.rijen if r.flow_run_id])
        rijen = [(rij, werkstand(staten.get(rij.flow_run_id)) if staten is not None else None) for rij in lijst.rijen]
        return _html(request, "werklijst", lijst=lijst, rijen=rijen, filter=filter_, fouten=fouten,
                     prefect_bereikbaar=staten is not None, gemeenten=gemeenten, stappen=lezen.stappen(),
                     urgenties=list(Urgentie), nu=nu(), bladeren=_bladeren(request, filter_, lijst))


def _bladeren(request: Request, filter_: lezen.Filter, lijst: lezen.Werklijst) -> dict[str, str | None]:
    """The addresses of the previous and next page, with the filters in force."""
    gekozen = {"gemeente": filter_.gemeente, "stap": filter_.stap, "urgentie": filter_.urgentie}

    def naar(pagina: int) -> str:
        return request.url.path + "?" + urlencode({**{k: str(v) for k, v in gekozen.items() if v}, "pagina": pagina})

    return {"vorige": naar(lijst.pagina - 1) if lijst.pagina > 1 else None,
            "volgende": naar(lijst.pagina + 1) if lijst.pagina < lijst.paginas else None}


_TITELS = {401: "Niet ingelogd", 403: "Geen toegang", 404: "Niet gevonden", 405: "Niet toegestaan"}


async def _foutpagina(request: Request, fout: HTTPException) -> Response:
    melding = fout.detail if fout.status_code in (401, 403) else "Deze pagina bestaat niet. Open de werklijst " \
                                                                   "via de startpagina."
    return _html(request, "fout", fout.status_code, titel=_TITELS.get(fout.status_code, "Fout"), melding=melding)


async def _storingspagina(request: Request, fout: Exception) -> Response:
    # Never the exception text; the server log has the traceback.
    return _html(request, "fout", 500, titel="Storing", melding="De werklijst kan nu niet worden getoond door een "
                 "storing. Probeer het over een paar minuten opnieuw; blijft het misgaan, meld het dan bij beheer.")
