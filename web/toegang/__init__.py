"""The gateway: the one front door of the system (issue 14). Every browser request passes here.

- who you are: a local account (argon2 hash in the case store) or the region's OpenID Connect
  provider (`web.toegang.oidc`); the roles of `models.regels.toegang`;
- a session per person (`web.toegang.sessies`), in the case store so every gateway shares it:
  idle timeout, log-out, CSRF token on every form;
- behind it: the Prefect UI and API (`web.toegang.proxy`, with the server's credential, for the
  roles that may use it), the work list under /werklijst (package `web.werklijst`, for the same
  roles), the dossier pages under /dossier (package `web.dossier`), the reports
  of its own municipality for role gemeente (/rapporten/), the access log for beheer (/beheer/inzage/);
- every decision through a form carries the logged-in account (`door`), and lands in the access log.

    python -m web.toegang --port 4200 --prefect http://127.0.0.1:4201      (start.sh does this)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
from pathlib import Path
from urllib.parse import quote, urlsplit

import anyio
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket

from models.dossier.toegang import WAT, controleer_wachtwoord, inzagen, schrijf_inzage
from models.lezen.rapportarchief import gemeenterapporten
from models.regels.instellingen import Instellingen
from models.regels.toegang import Bevoegdheid, Gebruiker
from templates import render
from web.toegang.oidc import Oidc, OidcGeweigerd
from web.toegang.proxy import Prefect
from web.werklijst import maak_app as maak_werklijst
from web.toegang.sessies import COOKIE, INLOG_COOKIE, Ongeldig, Pogingen, Sessie, Sessies, Verlopen, zelfde_token

_HERVATTEN = re.compile(r"^/api/flow_runs/([0-9a-fA-F-]{36})/resume/?$")
_NIEUWE_RUN = re.compile(r"^/api/deployments/([0-9a-fA-F-]{36})/create_flow_run/?$")
_CASUS = re.compile(r"^VT-\d{4}-\d{6}$")
# Staff actions only a teamleider may start (deployment names, from tasks.acties.CAPACITEIT,
# models.opslag.communicatie Brief/Notificatie.opnieuw_versturen and deployments/rapportage.py;
# not imported: that would load Prefect into the gateway). Other staff actions: medewerker too.
TEAMLEIDERSACTIES = {"capaciteit wisselen", "brief opnieuw versturen", "bericht opnieuw versturen", "knelpunt toevoegen"}
_ONVEILIG = {"POST", "PUT", "PATCH", "DELETE"}


def _pagina(sjabloon: str, status: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(render(f"toegang/{sjabloon}.html.j2", **context), status_code=status)


def melding(titel: str, tekst: str, status: int, sessie: Sessie | None = None,
            link: tuple[str, str] | None = ("/inloggen", "Inloggen")) -> HTMLResponse:
    """A clear Dutch page for a refusal or an error; nothing was changed. With the session, the
    page has the log-out button (with its CSRF token)."""
    return _pagina("melding", status, titel=titel, tekst=tekst, link=link,
                   gebruiker=sessie.gebruiker if sessie else None, csrf=sessie.csrf if sessie else "")


# Reads the Prefect UI makes by itself, every few seconds while a tab is open: they must not keep
# a session alive, or the idle timeout would never come for a person who left a tab open.
_UI_LEEST = re.compile(r"/(filter|count|paginate|history)/?$")


def _is_activiteit(request: Request | WebSocket) -> bool:
    """Whether the person did something: opened a page, or sent a change (a form, a Run)."""
    if isinstance(request, WebSocket):
        return False
    if not request.url.path.startswith("/api"):
        return True
    return request.method not in ("GET", "HEAD", "OPTIONS") and not _UI_LEEST.search(request.url.path)


def _terug_url(request: Request) -> str:
    # The gateway's own address as the browser sees it (behind a proxy: X-Forwarded-* via uvicorn).
    return str(request.url_for("oidc_terug"))


def _lokaal(pad: str | None) -> str:
    """Only a path of this site after log-in (no open redirect to another site)."""
    if not pad or not pad.startswith("/") or pad.startswith("//") or "\\" in pad:
        return "/start"
    return pad


class Poort:
    def __init__(self, *, engine: Engine, instellingen: Instellingen, prefect_url: str, auth_string: str | None,
                 geheim: bytes, https: bool, rapporten: Path) -> None:
        toegang = instellingen.toegang
        self.engine, self.instellingen, self.archief = engine, instellingen, rapporten
        self.sessies = Sessies(engine, geheim, toegang.sessie_minuten * 60)
        self.pogingen = Pogingen(toegang.max_mislukte_pogingen, toegang.vertraging_seconden)
        self.inlogtokens = URLSafeTimedSerializer(geheim, salt="vt-inloggen")
        self.prefect = Prefect(prefect_url, auth_string)
        self.https = https
        self.oidc = Oidc(toegang.oidc) if toegang.oidc else None

    # --- cookies and sessions ----------------------------------------------------------------

    def _cookie(self, request: Request, antwoord: Response, naam: str, waarde: str) -> None:
        # Secure whenever the browser came over TLS (the gateway's own, or a proxy's in front that
        # says so in X-Forwarded-Proto), or always with --https.
        antwoord.set_cookie(naam, waarde, httponly=True, samesite="lax", path="/",
                            secure=self.https or request.url.scheme == "https")

    async def sessie(self, request: Request | WebSocket) -> Sessie | None:
        """The session of this request; raises Ongeldig/Verlopen (see sessies). Read in a worker
        thread: a slow database must not hold up every other request of this gateway."""
        return await anyio.to_thread.run_sync(self.sessies.lees, request.cookies.get(COOKIE),
                                              _is_activiteit(request))

    def _weigering_sessie(self, request: Request, fout: Exception) -> Response:
        api = request.url.path.startswith("/api")
        if isinstance(fout, Ongeldig):
            antwoord = (JSONResponse({"detail": "Ongeldige sessie: log opnieuw in."}, 401) if api else melding(
                "Ongeldige sessie", "Uw sessiecookie is gewijzigd en is daarom niet meer geldig. Er is niets "
                "veranderd. Log opnieuw in.", 400))
        else:
            antwoord = (JSONResponse({"detail": "Uw sessie is verlopen: log opnieuw in."}, 401) if api else melding(
                "Sessie verlopen", f"U was langer dan {self.instellingen.toegang.sessie_minuten:g} minuten niet "
                "actief, of u bent uitgelogd. Er is niets veranderd. Log opnieuw in om verder te gaan.", 401,
                link=("/inloggen?volgende=" + quote(request.url.path), "Opnieuw inloggen")))
        if isinstance(fout, Ongeldig) or not api:
            # An expired cookie stays while only the UI's polling meets it: the person who comes
            # back then reads "Sessie verlopen" instead of a bare log-in page.
            antwoord.delete_cookie(COOKIE, path="/")
        return antwoord

    async def _ingelogd(self, request: Request, gebruiker: Gebruiker, volgende: str) -> Response:
        cookie, _ = await anyio.to_thread.run_sync(self.sessies.begin, gebruiker)
        if not gebruiker.mag(Bevoegdheid.prefect_ui) and volgende == "/start":
            volgende = "/rapporten/"
        antwoord = RedirectResponse(_lokaal(volgende), 303)
        self._cookie(request, antwoord, COOKIE, cookie)
        antwoord.delete_cookie(INLOG_COOKIE, path="/")
        return antwoord

    # --- log-in, log-out ---------------------------------------------------------------------

    async def inloggen(self, request: Request) -> Response:
        if request.method == "GET":
            return self._inlogpagina(request, _lokaal(request.query_params.get("volgende")), 200, None)
        form = await request.form()
        if not self._inlogtoken_klopt(request, form.get("csrf")):
            return melding("Formulier niet geaccepteerd", "Dit inlogformulier is verlopen of komt niet van deze "
                           "site (CSRF-controle). Er is niets veranderd. Open de inlogpagina opnieuw.", 403)
        if not self.instellingen.toegang.lokale_accounts:
            return melding("Inloggen met een wachtwoord staat uit", "Log in via de identity provider.", 403)
        account, wachtwoord = str(form.get("account", "")).strip(), str(form.get("wachtwoord", ""))
        volgende = _lokaal(str(form.get("volgende", "")))
        if (wacht := self.pogingen.wacht_nog(account)) > 0:
            return self._inlogpagina(request, volgende, 429,
                                   f"Te veel verkeerde wachtwoorden voor dit account. Probeer het over "
                                   f"{int(wacht) + 1} seconden opnieuw.")
        gebruiker = await anyio.to_thread.run_sync(self._controleer, account, wachtwoord)
        if gebruiker is None:
            self.pogingen.fout(account)
            return self._inlogpagina(request, volgende, 401, "Account of wachtwoord klopt niet.")
        self.pogingen.goed(account)
        return await self._ingelogd(request, gebruiker, volgende)

    def _controleer(self, account: str, wachtwoord: str) -> Gebruiker | None:
        with Session(self.engine) as session:
            return controleer_wachtwoord(session, account, wachtwoord)

    def _inlogtoken_klopt(self, request: Request, gegeven) -> bool:
        try:
            verwacht = self.inlogtokens.loads(request.cookies.get(INLOG_COOKIE, ""), max_age=3600)
        except BadSignature:
            return False
        return zelfde_token(verwacht, str(gegeven or ""))

    def _inlogpagina(self, request: Request, volgende: str, status: int, fout: str | None) -> Response:
        """The log-in form with its CSRF token, kept signed in a cookie (there is no session yet).
        A valid token in the cookie is used again: a second tab, or the browser fetching something
        else meanwhile, must not make the form already on screen invalid."""
        try:
            token = self.inlogtokens.loads(request.cookies.get(INLOG_COOKIE, ""), max_age=1800)
            if not isinstance(token, str):
                raise BadSignature("geen inlogtoken")
        except BadSignature:
            token = secrets.token_urlsafe(32)
        toegang = self.instellingen.toegang
        antwoord = _pagina("inloggen", status, csrf=token, volgende=volgende, fout=fout, lokaal=toegang.lokale_accounts,
                           oidc=self.oidc is not None, regio=self.instellingen.regio.naam, minuten=toegang.sessie_minuten)
        self._cookie(request, antwoord, INLOG_COOKIE, self.inlogtokens.dumps(token))
        return antwoord

    async def oidc_inloggen(self, request: Request) -> Response:
        if self.oidc is None:
            return melding("Geen identity provider", "Deze regio logt in met lokale accounts.", 404)
        url, state, nonce = await self.oidc.begin(_terug_url(request))
        antwoord = RedirectResponse(url, 303)
        volgende = _lokaal(request.query_params.get("volgende"))
        self._cookie(request, antwoord, INLOG_COOKIE, self.inlogtokens.dumps([state, nonce, volgende]))
        return antwoord

    async def oidc_terug(self, request: Request) -> Response:
        if self.oidc is None:
            return melding("Geen identity provider", "Deze regio logt in met lokale accounts.", 404)
        try:
            state, nonce, volgende = self.inlogtokens.loads(request.cookies.get(INLOG_COOKIE, ""), max_age=900)
        except (BadSignature, ValueError):
            state = nonce = volgende = None
        if not state or not zelfde_token(state, request.query_params.get("state")):
            return melding("Inloggen niet gelukt", "Dit antwoord van de identity provider hoort niet bij een "
                           "inlogpoging in deze browser (state klopt niet). Er is niets veranderd.", 403)
        if "code" not in request.query_params:
            return melding("Inloggen niet gelukt", "De identity provider gaf geen toestemming.", 403)
        try:
            gebruiker = await self.oidc.terug(request.query_params["code"], nonce, _terug_url(request))
        except OidcGeweigerd as exc:
            return melding("Inloggen niet gelukt", f"{exc} Er is niets veranderd.", 403)
        return await self._ingelogd(request, gebruiker, volgende)

    async def uitloggen(self, request: Request) -> Response:
        try:
            sessie = await self.sessie(request)
        except (Ongeldig, Verlopen) as exc:
            return self._weigering_sessie(request, exc)
        if sessie is None:
            return RedirectResponse("/inloggen", 303)
        if request.method == "GET":
            return _pagina("uitloggen", gebruiker=sessie.gebruiker, csrf=sessie.csrf)
        form = await request.form()
        if not zelfde_token(sessie.csrf, str(form.get("csrf", ""))):
            return melding("Formulier niet geaccepteerd", "Dit formulier komt niet van deze site of is verlopen "
                           "(CSRF-controle). U bent nog ingelogd; er is niets veranderd.", 403,
                           sessie=sessie, link=("/start", "Naar de startpagina"))
        await anyio.to_thread.run_sync(self.sessies.beeindig, request.cookies.get(COOKIE))
        antwoord = melding("Uitgelogd", "U bent uitgelogd. Sluit ook het browservenster als u een gedeelde "
                           "computer gebruikt.", 200, link=("/inloggen", "Opnieuw inloggen"))
        antwoord.delete_cookie(COOKIE, path="/")
        return antwoord

    # --- the pages behind the door -----------------------------------------------------------

    def _met_sessie(self, bevoegdheid: Bevoegdheid | None):
        """Decorator: the handler gets the logged-in person, or the right refusal is sent."""
        def omhulsel(handler):
            async def route(request: Request) -> Response:
                try:
                    sessie = await self.sessie(request)
                except (Ongeldig, Verlopen) as exc:
                    return self._weigering_sessie(request, exc)
                if sessie is None:
                    if request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", "text/html"):
                        # Not a page (the API, an icon, a script): no redirect to the log-in page.
                        return JSONResponse({"detail": "Niet ingelogd: log in via de startpagina."}, 401)
                    doel = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse("/inloggen?volgende=" + quote(doel), 303)
                gebruiker = sessie.gebruiker
                if bevoegdheid is not None and not gebruiker.mag(bevoegdheid):
                    if request.url.path == "/":  # the address of the system: to what this role may see
                        return RedirectResponse("/start", 303)
                    return self.geweigerd(request, sessie)
                request.scope["gebruiker"] = gebruiker
                return await handler(request, sessie)
            return route
        return omhulsel

    def geweigerd(self, request: Request, sessie: Sessie) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": "U heeft met uw rol geen toegang tot dit deel van het systeem."}, 403)
        return melding("Geen toegang", "U heeft met uw rol geen toegang tot deze pagina. Een gemeente ziet "
                       "alleen de rapporten van de eigen gemeente; dossiers en de werkvoorraad zijn alleen voor "
                       "medewerkers van Veilig Thuis.", 403, sessie=sessie,
                       link=("/start", "Naar de startpagina"))

    async def start(self, request: Request, sessie: Sessie) -> Response:
        return _pagina("start", gebruiker=sessie.gebruiker, csrf=sessie.csrf, B=Bevoegdheid,
                       regio=self.instellingen.regio.naam)

    async def rapporten(self, request: Request, sessie: Sessie) -> Response:
        gebruiker = sessie.gebruiker
        code = gebruiker.gemeente
        gemeente = next((g for g in self.instellingen.gemeenten if g.code == code), None)
        lijst = gemeenterapporten(self.archief, code) if gemeente else []
        naam = request.path_params.get("bestand")
        if naam is None:
            return _pagina("rapporten", gebruiker=gebruiker, csrf=sessie.csrf, gemeente=gemeente, rapporten=lijst)
        gevonden = next((r for r in lijst if r.sleutel == naam), None)
        if gevonden is None:
            return melding("Rapport niet gevonden", "Dit rapport bestaat niet of hoort niet bij uw gemeente.", 404,
                           sessie=sessie, link=("/rapporten/", "Naar de rapporten"))
        return FileResponse(gevonden.pad, media_type="text/csv; charset=utf-8", filename=gevonden.pad.name)

    async def inzagelog(self, request: Request, sessie: Sessie) -> Response:
        referentie = request.path_params.get("referentie") or request.query_params.get("referentie", "")
        referentie = referentie.strip().upper()
        regels = []
        if referentie:
            def lees():
                with Session(self.engine) as session:
                    return inzagen(session, referentie)
            regels = await anyio.to_thread.run_sync(lees)
        return _pagina("inzagelog", gebruiker=sessie.gebruiker, csrf=sessie.csrf, referentie=referentie,
                       regels=regels, wat=WAT)

    # --- the access log ----------------------------------------------------------------------

    def inzage(self, request: Request, wat: str, casus_referentie: str | None) -> None:
        """The access-log writer the dossier pages call for every view, letter download and search
        (a plain blocking call, a few ms): who is the logged-in person, the address the request's."""
        gebruiker: Gebruiker = request.scope["gebruiker"]
        self._schrijf(gebruiker.account, wat, casus_referentie, request.client.host if request.client else None)

    def _schrijf(self, account: str, wat: str, referentie: str | None, adres: str | None) -> None:
        with Session(self.engine) as session, session.begin():
            schrijf_inzage(session, account, wat, referentie, adres)

    # --- Prefect behind the door -------------------------------------------------------------

    async def naar_prefect(self, request: Request, sessie: Sessie) -> Response:
        gebruiker = sessie.gebruiker
        pad = request.url.path
        if request.method in _ONVEILIG and not self._zelfde_herkomst(request):
            return JSONResponse({"detail": "Verzoek van een andere site geweigerd."}, 403)
        if request.method == "POST" and (treffer := _HERVATTEN.match(pad)):
            return await self._hervat(request, gebruiker, treffer.group(1))
        if request.method == "POST" and (treffer := _NIEUWE_RUN.match(pad)):
            return await self._nieuwe_run(request, gebruiker, treffer.group(1))
        if pad.endswith("/ui-settings"):
            status, inhoud = await self.prefect.json(request)
            if status == 200 and isinstance(inhoud, dict):
                # The UI must not ask for Prefect's own password, and must call the API here.
                inhoud.update(auth=None, api_url=f"{request.url.scheme}://{request.url.netloc}/api")
            return JSONResponse(inhoud, status)
        return await self.prefect.door(request)

    def _zelfde_herkomst(self, request: Request) -> bool:
        # Besides SameSite=Lax on the cookie: a page of another site may not drive the API.
        herkomst = request.headers.get("origin")
        return herkomst is None or urlsplit(herkomst).netloc == request.url.netloc

    async def _hervat(self, request: Request, gebruiker: Gebruiker, run_id: str) -> Response:
        if not gebruiker.mag_beslissen:
            return JSONResponse({"status": "ABORT", "details": {"type": "abort_details", "reason":
                                 "U kunt met uw rol (beheer of gemeente) geen besluit over een casus nemen. "
                                 "Er is niets veranderd."}}, 200)
        try:
            inhoud = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"detail": "Ongeldig formulier."}, 400)
        if isinstance(inhoud.get("run_input"), dict):
            inhoud["run_input"]["door"] = gebruiker.account  # the logged-in person, whatever was sent
        # The run's name (the casus reference, for the access log) is read alongside the resume,
        # not after it: the person waits for one round trip to Prefect, not two.
        (status, antwoord), run = await asyncio.gather(
            self.prefect.json(request, json.dumps(inhoud).encode()), self.prefect.haal(f"/api/flow_runs/{run_id}"))
        if status == 201 and isinstance(antwoord, dict) and antwoord.get("status") == "ACCEPT":
            if run and _CASUS.match(run.get("name", "")):
                adres = request.client.host if request.client else None
                await anyio.to_thread.run_sync(self._schrijf, gebruiker.account, "besluit", run["name"], adres)
        return JSONResponse(antwoord, status)

    async def _nieuwe_run(self, request: Request, gebruiker: Gebruiker, deployment_id: str) -> Response:
        deployment = await self.prefect.haal(f"/api/deployments/{deployment_id}")
        if deployment is None or "door" not in (deployment.get("parameters") or {}):
            return await self.prefect.door(request)  # not a staff action: as it is
        nodig = (Bevoegdheid.teamleiderstaken if deployment.get("name") in TEAMLEIDERSACTIES else None)
        if not gebruiker.mag_beslissen or (nodig and not gebruiker.mag(nodig)):
            return JSONResponse({"detail": "Deze actie hoort niet bij uw rol. Er is niets veranderd."}, 403)
        try:
            inhoud = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"detail": "Ongeldig formulier."}, 400)
        inhoud["parameters"] = {**(inhoud.get("parameters") or {}), "door": gebruiker.account}
        status, antwoord = await self.prefect.json(request, json.dumps(inhoud).encode())
        return JSONResponse(antwoord, status)

    async def websocket(self, ws: WebSocket) -> None:
        try:
            sessie = await self.sessie(ws)
        except (Ongeldig, Verlopen):
            sessie = None
        if sessie is None or not sessie.gebruiker.mag(Bevoegdheid.prefect_ui):
            await ws.close(code=1008)
            return
        await self.prefect.websocket(ws)


def maak_app(*, engine: Engine, instellingen: Instellingen, prefect_url: str, auth_string: str | None,
             geheim: bytes, https: bool = False, rapporten: Path) -> Starlette:
    """The gateway. `geheim` signs its cookies: the same for every gateway on this case store
    (`web.toegang.sessies.gedeeld_geheim`)."""
    poort = Poort(engine=engine, instellingen=instellingen, prefect_url=prefect_url, auth_string=auth_string,
                  geheim=geheim, https=https, rapporten=rapporten)
    routes = [
        Route("/inloggen", poort.inloggen, methods=["GET", "POST"]),
        Route("/uitloggen", poort.uitloggen, methods=["GET", "POST"]),
        Route("/oidc/inloggen", poort.oidc_inloggen),
        Route("/oidc/terug", poort.oidc_terug, name="oidc_terug"),
        Route("/start", poort._met_sessie(None)(poort.start)),
        Route("/rapporten/", poort._met_sessie(Bevoegdheid.rapporten_eigen_gemeente)(poort.rapporten)),
        Route("/rapporten/{bestand}", poort._met_sessie(Bevoegdheid.rapporten_eigen_gemeente)(poort.rapporten)),
        Route("/beheer/inzage/", poort._met_sessie(Bevoegdheid.inzagelog_lezen)(poort.inzagelog)),
        Route("/beheer/inzage/{referentie}", poort._met_sessie(Bevoegdheid.inzagelog_lezen)(poort.inzagelog)),
    ]
    # /werklijst without its slash would otherwise reach the Prefect route below.
    routes += [Route("/werklijst", _naar_werklijst), Mount("/werklijst", app=_werklijst_app(engine, poort))]
    dossier = _dossier_app(engine, poort)
    if dossier is not None:
        routes.append(Mount("/dossier", app=dossier))
    else:
        routes.append(Route("/dossier/{pad:path}", poort._met_sessie(Bevoegdheid.dossier_inzien)(_geen_dossier)))
    routes += [
        WebSocketRoute("/api/{pad:path}", poort.websocket),
        Route("/{pad:path}", poort._met_sessie(Bevoegdheid.prefect_ui)(poort.naar_prefect),
              methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    ]
    @contextlib.asynccontextmanager
    async def levensduur(app):
        yield
        await poort.prefect.client.aclose()

    app = Starlette(routes=routes, lifespan=levensduur)
    app.state.poort = poort
    return app


async def _naar_werklijst(request: Request) -> Response:
    return RedirectResponse("/werklijst/" + (f"?{request.url.query}" if request.url.query else ""), 307)


async def _geen_dossier(request: Request, sessie: Sessie) -> Response:
    return melding("Dossier nog niet beschikbaar", "De dossierpagina's zijn in deze versie nog niet "
                   "geïnstalleerd.", 404, sessie=sessie, link=("/start", "Naar de startpagina"))


def _dossier_app(engine: Engine, poort: Poort):
    """The dossier pages (package web.dossier, built alongside this gateway), behind the same
    session check; absent until that package is part of the installation, hence the guarded import."""
    try:
        from web.dossier import maak_app as maak_dossier
    except ImportError:
        return None
    return _achter_de_deur(poort, maak_dossier(engine=engine, inzage=poort.inzage), Bevoegdheid.dossier_inzien)


def _werklijst_app(engine: Engine, poort: Poort):
    """The work list (package web.werklijst), for the roles that may use the Prefect UI's forms;
    its one question to Prefect (the states of the runs on a page) goes with the server's credential."""
    return _achter_de_deur(poort, maak_werklijst(engine=engine, runstaten=poort.prefect.staten),
                           Bevoegdheid.prefect_ui)


def _achter_de_deur(poort: Poort, binnen, bevoegdheid: Bevoegdheid):
    """An app of pages behind the same session check: it gets the logged-in person in its scope."""
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return await binnen(scope, receive, send)
        request = Request(scope, receive)

        async def door(request: Request, sessie: Sessie) -> Response:
            scope["gebruiker"] = sessie.gebruiker
            # The app names its own routes in its links (url_for): Starlette keeps the first
            # router it meets in the scope, which would be the gateway's (no such routes: 500).
            scope.pop("router", None)
            await binnen(scope, receive, send)
            return None

        antwoord = await poort._met_sessie(bevoegdheid)(door)(request)
        if antwoord is not None:
            await antwoord(scope, receive, send)

    return app
