"""The dossier app as the gateway will run it, for tests (and a look on your own machine).

The gateway (web.toegang) establishes who a person is and puts a `Gebruiker` in the request scope;
`AlsPoort` does only that, with the person a test chooses, and mounts the app under /dossier as
the gateway does. It checks nothing: never a way into a real system, which is why it lives here.

    .venv/bin/python -m tests.dossier_lokaal     # http://127.0.0.1:8765/dossier/ as a demo medewerker
                                                 # (the case store of DATABASE_URL; loopback only)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount

from models.regels.toegang import Gebruiker, Rol
from web.dossier import maak_app

MEDEWERKER = Gebruiker(account="m.devries", naam="Medewerker De Vries", rollen=frozenset({Rol.medewerker}))
TEAMLEIDER = Gebruiker(account="t.jansen", naam="Teamleider Jansen", rollen=frozenset({Rol.teamleider}))
BEHEER = Gebruiker(account="beheerder", naam="Beheerder", rollen=frozenset({Rol.beheer}))
GEMEENTE = Gebruiker(account="gennep", naam="Gemeente Gennep", rollen=frozenset({Rol.gemeente}), gemeente="GM0907")


@dataclass
class Inzagelog:
    """The `inzage` the gateway passes: here every call lands in a list the test reads."""

    regels: list[tuple[str, str, str | None]] = field(default_factory=list)

    def __call__(self, request: Request, wat: str, casus_referentie: str | None) -> None:
        self.regels.append((request.scope["gebruiker"].account, wat, casus_referentie))


class AlsPoort:
    """ASGI: puts `gebruiker` (None: nobody logged in) in the scope, then the app at /dossier."""

    def __init__(self, engine, inzage, gebruiker: Gebruiker | None = MEDEWERKER):
        self.gebruiker = gebruiker
        self.app = Starlette(routes=[Mount("/dossier", app=maak_app(engine=engine, inzage=inzage))])

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.gebruiker is not None:
            scope = {**scope, "gebruiker": self.gebruiker}
        await self.app(scope, receive, send)


if __name__ == "__main__":
    import uvicorn

    from models.opslag.db import maak_engine

    uvicorn.run(AlsPoort(maak_engine(), Inzagelog()), host="127.0.0.1", port=8765)
