"""The work list (/werklijst): the open casussen that wait for a decision, read from the case store,
most urgent first, filtered and paged; through the gateway for staff only, with the state of each
casus's run from Prefect, and still there when Prefect does not answer.

Real parts: the case store (SQLite file and PostgreSQL), the gateway app with local accounts, a
real Prefect server for the run states (the session's), a closed port for a Prefect that is down.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from models.dossier import voortgang
from models.dossier.registratie import registreer_meldingen
from models.dossier.wijzigingen import casus_op_referentie, open_termijnen
from models.lezen import werklijst as lezen
from models.opslag.casus import Casus
from models.opslag.typen import nu
from models.regels.besluiten import automatische_stap
from models.regels.instellingen import Urgentie
from models.regels.levensloop import Status
from tests.conftest import vrije_poort
from tests.helpers import melding

S = Status
WACHTWOORD = "lang-genoeg-wachtwoord"


def _casus(session, regio, nummer: int, gemeente: str, urgentie: str, stappen: list[Status],
           deadline: dt.datetime | None = None) -> str:
    """A casus registered and moved along `stappen`; its open terms due at `deadline` when given."""
    referentie = registreer_meldingen(session, [melding(gemeente_code=gemeente, urgentie=urgentie,
                                                        straat_huisnummer=f"Fictiestraat {nummer}",
                                                        ontvangen_op=nu() - dt.timedelta(days=3))],
                                      regio, actor="intake")[0].casus_referentie
    casus = casus_op_referentie(session, referentie)
    for stap in stappen:
        voortgang.ga_naar(session, casus, stap, "orkestratie", regio)
    if deadline is not None:
        for termijn in open_termijnen(session, casus):
            termijn.vervalt_op = deadline
            session.add(termijn)
    return referentie


NAAR_BEOORDELING = [S.veiligheidscheck, S.veiligheidsbeoordeling]


@pytest.fixture
def casussen(engine, regio):
    """Seven casussen: five wait for a person (one at besluit, whose assessment term is met: no
    running deadline), two do not (one at the automatic front-door check, one closed)."""
    straks = nu() + dt.timedelta(days=2)
    later = nu() + dt.timedelta(days=9)
    with Session(engine) as session, session.begin():
        return dict(
            venlo_later=_casus(session, regio, 1, "GM0983", "regulier", NAAR_BEOORDELING, later),
            gennep_eerst=_casus(session, regio, 2, "GM0907", "regulier", NAAR_BEOORDELING, straks),
            gennep_spoed=_casus(session, regio, 3, "GM0907", "spoed", NAAR_BEOORDELING, later),
            gennep_besluit=_casus(session, regio, 4, "GM0907", "regulier", [*NAAR_BEOORDELING, S.besluit]),
            # Acuut: at the front-door check with its acute term open, it waits for the acute action.
            acuut=_casus(session, regio, 5, "GM0907", "acuut", [S.veiligheidscheck], nu() + dt.timedelta(hours=2)),
            automatisch=_casus(session, regio, 6, "GM0907", "regulier", [S.veiligheidscheck]),
            dicht=_casus(session, regio, 7, "GM0907", "regulier", [S.veiligheidscheck, S.afgesloten]),
        )


def _lijst(engine, **filter_) -> lezen.Werklijst:
    with Session(engine) as session:
        return lezen.werklijst(session, lezen.Filter(**filter_))


def test_the_work_list_holds_exactly_the_open_casussen_the_lifecycle_waits_on_a_person_for(engine, casussen):
    with Session(engine) as session:
        wachten = {c.referentie for c in session.exec(select(Casus))
                   if c.status != S.afgesloten and automatische_stap(voortgang.stand(session, c)) is None}
    lijst = _lijst(engine)
    assert {r.referentie for r in lijst.rijen} == wachten
    assert casussen["automatisch"] not in wachten and casussen["dicht"] not in wachten
    assert lijst.totaal == len(wachten) == 5


def test_the_nearest_deadline_comes_first_and_a_casus_without_a_running_term_last(engine, casussen):
    rijen = _lijst(engine).rijen
    assert [r.referentie for r in rijen] == [casussen[n] for n in (
        "acuut", "gennep_eerst", "gennep_spoed", "venlo_later", "gennep_besluit")]  # spoed before regulier on a tie
    assert rijen[0].status == "veiligheidscheck" and rijen[0].gemeente == "Gennep" and rijen[0].urgentie == "acuut"
    assert rijen[-1].termijn is None and rijen[0].termijn < rijen[1].termijn


def test_filters_by_gemeente_step_and_urgentie_and_pages_with_the_total(engine, casussen, monkeypatch):
    assert [r.referentie for r in _lijst(engine, gemeente="GM0983").rijen] == [casussen["venlo_later"]]
    assert {r.referentie for r in _lijst(engine, stap=S.besluit).rijen} == {casussen["gennep_besluit"]}
    assert [r.referentie for r in _lijst(engine, gemeente="GM0907", urgentie=Urgentie.spoed).rijen] == \
        [casussen["gennep_spoed"]]
    monkeypatch.setattr(lezen, "PAGINAGROOTTE", 2)
    paginas = [_lijst(engine, pagina=n) for n in (1, 2, 3, 99)]
    assert [[r.referentie for r in p.rijen] for p in paginas[:3]] == [
        [casussen["acuut"], casussen["gennep_eerst"]], [casussen["gennep_spoed"], casussen["venlo_later"]],
        [casussen["gennep_besluit"]]]
    assert {(p.totaal, p.paginas) for p in paginas} == {(5, 3)} and paginas[3].pagina == 3  # past the end: the last


def test_the_steps_offered_are_those_a_casus_can_wait_in():
    assert S.ontvangen not in lezen.stappen() and S.afgesloten not in lezen.stappen()
    assert {S.veiligheidscheck, S.besluit, S.monitoring} <= set(lezen.stappen())


# --- the page, through the gateway ------------------------------------------------------------------

# The page's behaviour does not depend on the database (the read model's tests above run on both).
pagina_op_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def accounts(engine, regio):
    from models.dossier.toegang import maak_account
    from models.regels.toegang import Rol

    with Session(engine) as session, session.begin():
        for account, rol, gemeente in (("m.medewerker", Rol.medewerker, None), ("b.beheer", Rol.beheer, None),
                                       ("g.gennep", Rol.gemeente, "GM0907")):
            maak_account(session, account, account.split(".")[1].title(), [rol], WACHTWOORD, gemeente)


@contextmanager
def _poort(engine, regio, tmp_path, prefect_url: str) -> Iterator[TestClient]:
    """The gateway app in this process (one event loop for its Prefect client's connections)."""
    from web.toegang import maak_app

    with TestClient(maak_app(engine=engine, instellingen=regio, prefect_url=prefect_url, auth_string=None,
                             geheim=secrets.token_bytes(32), rapporten=tmp_path / "rapporten"),
                    follow_redirects=False) as browser:
        yield browser


@pytest.fixture
def poort(engine, regio, tmp_path):
    """poort(prefect_url): a browser at the gateway; without an address, Prefect is down (a closed port)."""
    with ExitStack() as stapel:
        yield lambda prefect_url=None: stapel.enter_context(
            _poort(engine, regio, tmp_path, prefect_url or f"http://127.0.0.1:{vrije_poort()}"))


def _log_in(browser: TestClient, account: str) -> None:
    pagina = browser.get("/inloggen")
    csrf = re.search(r'name="csrf" value="([^"]+)"', pagina.text).group(1)
    assert browser.post("/inloggen", data={"csrf": csrf, "account": account, "wachtwoord": WACHTWOORD,
                                           "volgende": "/start"}).status_code == 303


def _tekst(html: str) -> str:
    from tests.test_dossier import zichtbare_tekst

    return zichtbare_tekst(html)


@pytest.fixture
def prefect_runs(prefect_server, engine, casussen):
    """Lifecycle runs in Prefect for three casussen: one Suspended at its form, one running, one
    crashed; the other casussen have no run."""
    import prefect.settings

    api = prefect.settings.PREFECT_API_URL.value()
    with httpx.Client(base_url=api, timeout=30) as client:
        flow = client.post("/flows/", json={"name": "casus-levensloop"}).json()["id"]
        staten = {"gennep_eerst": ("PAUSED", "Suspended"), "gennep_spoed": ("RUNNING", "Running"),
                  "venlo_later": ("CRASHED", "Crashed")}
        runs = {}
        for naam, (soort, staat) in staten.items():
            runs[naam] = client.post("/flow_runs/", json={"flow_id": flow, "name": casussen[naam], "state": {
                "type": soort, "name": staat}}).json()["id"]
    with Session(engine) as session, session.begin():
        for naam, run_id in runs.items():
            casus_op_referentie(session, casussen[naam]).flow_run_id = run_id
    return api.removesuffix("/api"), runs


@pagina_op_sqlite
def test_a_medewerker_sees_each_casus_with_whether_its_form_is_ready_and_its_links(poort, accounts, casussen,
                                                                                    prefect_runs):
    prefect_url, runs = prefect_runs
    browser = poort(prefect_url)
    assert browser.get("/werklijst").headers["location"] == "/werklijst/"
    assert browser.get("/werklijst/", headers={"accept": "text/html"}).headers["location"].startswith("/inloggen")
    _log_in(browser, "m.medewerker")
    start = browser.get("/start")
    assert _tekst(start.text).index("Werklijst") < _tekst(start.text).index("Dossier zoeken")

    pagina = browser.get("/werklijst/")
    assert pagina.status_code == 200 and pagina.headers["cache-control"] == "no-store"
    tekst = _tekst(pagina.text)
    assert "5 casussen wachten op een besluit." in tekst and "Prefect antwoordt nu niet" not in tekst
    rijen = {r[:14]: r for r in re.findall(r"<tr>\s*<td>(VT-.*?)</tr>", pagina.text, flags=re.S)}
    assert "Formulier klaar" in rijen[casussen["gennep_eerst"]]
    assert f'href="/runs/flow-run/{runs["gennep_eerst"]}">Formulier openen' in rijen[casussen["gennep_eerst"]]
    assert f'href="/v2/runs/flow-run/{runs["gennep_eerst"]}"' in rijen[casussen["gennep_eerst"]]
    assert f'href="/dossier/casus/{casussen["gennep_eerst"]}"' in rijen[casussen["gennep_eerst"]]
    assert "Wordt verwerkt" in rijen[casussen["gennep_spoed"]]
    # The step and urgency in the words of the dossier, never a code.
    assert "<td>Veiligheidscheck</td>" in rijen[casussen["acuut"]] and "<td>Acuut</td>" in rijen[casussen["acuut"]]
    for naam in ("venlo_later", "acuut"):  # crashed, or no run yet: the sentinel brings it back
        assert "Nog niet in beeld" in rijen[casussen[naam]] and "Formulier openen" not in rijen[casussen[naam]]
    assert "Testpersoon" not in tekst and "Fictiestraat" not in tekst  # nothing personal

    gefilterd = _tekst(browser.get("/werklijst/?gemeente=GM0983&stap=&urgentie=").text)
    assert "1 casus wacht op een besluit (met deze keuzes)." in gefilterd and casussen["venlo_later"] in gefilterd


@pagina_op_sqlite
def test_unreadable_choices_are_said_in_dutch_and_the_whole_list_shown(poort, accounts, casussen):
    browser = poort()
    _log_in(browser, "m.medewerker")
    pagina = browser.get("/werklijst/?gemeente=GM9999&stap=afgesloten&urgentie=heel&pagina=abc")
    tekst = _tekst(pagina.text)
    assert pagina.status_code == 200 and "5 casussen wachten op een besluit." in tekst
    for zin in ("Deze gemeente hoort niet bij de regio", "In deze stap wacht geen casus op een besluit",
                "Deze urgentie bestaat niet", "Het paginanummer is geen getal"):
        assert zin in tekst
    for voorbij in ("99", "9" * 5000):  # past the end: the last page
        assert _tekst(browser.get(f"/werklijst/?pagina={voorbij}").text).count("VT-") == 5
    assert "Het paginanummer is geen getal" in _tekst(browser.get("/werklijst/?pagina=²").text)


@pagina_op_sqlite
def test_when_prefect_does_not_answer_the_list_still_shows_with_a_notice(engine, poort, accounts, casussen):
    with Session(engine) as session, session.begin():
        casus_op_referentie(session, casussen["gennep_eerst"]).flow_run_id = str(uuid.uuid4())
    browser = poort()  # nothing listens at its Prefect address
    _log_in(browser, "m.medewerker")
    pagina = browser.get("/werklijst/")
    tekst = _tekst(pagina.text)
    assert pagina.status_code == 200 and "Prefect antwoordt nu niet" in tekst
    assert all(casussen[n] in tekst for n in ("acuut", "gennep_eerst", "venlo_later"))


@pagina_op_sqlite
def test_a_gemeente_is_refused_and_beheer_sees_the_list_without_dossier_links(poort, accounts, casussen):
    browser = poort()
    _log_in(browser, "g.gennep")
    geweigerd = browser.get("/werklijst/")
    assert geweigerd.status_code == 403 and "Geen toegang" in geweigerd.text and "VT-" not in geweigerd.text
    browser = poort()
    _log_in(browser, "b.beheer")
    pagina = browser.get("/werklijst/")
    assert pagina.status_code == 200 and casussen["acuut"] in pagina.text and "/dossier/casus/" not in pagina.text
