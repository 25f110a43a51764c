"""A casus as Zaken API 1.5.1 resources (ZGW): one Zaak, its Status history, its Resultaat and
its Rollen, as the Zaken API would serve them. Pure: the read model (models/lezen/zgw.py) brings
a `ZaakGegevens`, this module maps it, `models/regels/zgw_schema.py` checks the result.

Identities are stable: every resource's uuid is a UUID5 of the Zaken API base, the region, the
casus reference and the resource, so exporting a casus again gives the same URLs (a loader
updates instead of duplicating).

What goes where (docs/beheer.md, "ZGW-export"):
- Status: the state at opening (`ontvangen`) and one per lifecycle change in the audit trail;
- Zaak.opschorting: whether an open term is suspended now, with its reason;
- Zaak.verlenging: the latest extension of a term, its length in working days on the legal
  calendar (Algemene termijnenwet) as an ISO 8601 duration, with its reason;
- Zaak.uiterlijkeEinddatumAfdoening: the first deadline of the open terms (none when closed);
- Resultaat: only for a closed casus, after the state it was closed from (`AFLOOP_VANUIT`);
- Rollen: the behandelaar (the organisational unit of the settings); the melder as initiator
  only when `zgw.personen` is on, and then with nothing but the name the store keeps.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from models.regels.instellingen import Instellingen, TermijnSoort, ZgwInstellingen, ZgwRol
from models.regels.kalender import AMSTERDAM, Werkkalender
from models.regels.levensloop import AFLOOP_VANUIT, Afloop, Status
from models.regels.perioden import lees_dag
from models.regels.weergave import label
from models.regels.zoeken import Zoekfout, casusreferentie

SPECIFICATIE = "Zaken API 1.5.1"
_REDEN_MAX = 200  # Opschorting.reden and Verlenging.reden in the specification
# A contact rhythm with a waiting family, not a term within which the casus must be dealt with.
_GEEN_AFDOENINGSTERMIJN = {TermijnSoort.werkvoorraad_contact.value}
_BETALING_NVT = "Er is geen sprake van te betalen, met de zaak gemoeide, kosten."
_AFLOOP_TEKST = {
    Afloop.niet_ontvankelijk: "Niet ontvankelijk: afgesloten na de veiligheidscheck.",
    Afloop.geen_vervolg: "Geen vervolg door Veilig Thuis: einde bemoeienis.",
    Afloop.vervolg_bij_veilig_thuis: "Afgesloten na vervolg bij Veilig Thuis (onderzoek, Voorwaarden & Vervolg "
                                      "of verzoek aan de Raad voor de Kinderbescherming).",
    Afloop.overgedragen: "Overgedragen aan het lokaal team.",
}
_MELDER_TEKST = {
    "politie_justitie": "Melder: politie of justitie",
    "professional": "Melder: professional",
    "burger": "Melder: burger",
}


@dataclass(frozen=True)
class Statusovergang:
    tijdstip: dt.datetime
    naar: Status


@dataclass(frozen=True)
class TermijnStand:
    soort: str
    vervalt_op: dt.datetime
    voldaan_op: dt.datetime | None = None
    opgeschort_op: dt.datetime | None = None
    opschort_reden: str | None = None


@dataclass(frozen=True)
class Termijnverlenging:
    tijdstip: dt.datetime
    reden: str
    van: dt.datetime
    naar: dt.datetime


@dataclass(frozen=True)
class MelderGegevens:
    """The melder of the first melding; `naam` only read when `zgw.personen` is on."""

    soort: str
    naam: str | None = None


@dataclass(frozen=True)
class ZaakGegevens:
    """What the mapping needs of one casus: codes, moments and (optionally) the melder."""

    referentie: str
    gemeente_code: str
    urgentie: str
    geopend_op: dt.datetime
    afgesloten_op: dt.datetime | None
    overgangen: tuple[Statusovergang, ...]  # the audit trail's status events, oldest first
    termijnen: tuple[TermijnStand, ...] = ()
    verlengingen: tuple[Termijnverlenging, ...] = ()
    melder: MelderGegevens | None = None


@dataclass(frozen=True)
class ZgwZaak:
    """One casus in Zaken API shape; `als_json()` is what the export writes."""

    referentie: str
    zaak: dict
    statussen: list[dict]
    resultaat: dict | None
    rollen: list[dict] = field(default_factory=list)

    def als_json(self) -> dict:
        return {"specificatie": SPECIFICATIE, "zaak": self.zaak, "statussen": self.statussen,
                "resultaat": self.resultaat, "rollen": self.rollen}


class GeenZgwInstellingen(ValueError):
    def __init__(self) -> None:
        super().__init__("Het instellingenbestand heeft geen blok 'zgw' (de catalogus voor de ZGW-export); "
                         "zie docs/beheer.md, ZGW-export.")


ALLE = "alle"  # the run form's default for both choices: every casus


def exportkeuze(sinds: str, casus: str) -> tuple[dt.date | None, str | None]:
    """What a run of the export asks, from its form: casussen changed since a day (dag-maand-jaar),
    one casus (its reference), or all ('alle'). Raises ValueError with the reason in Dutch."""
    try:
        dag = lees_dag(sinds, (ALLE,))
    except ValueError:
        raise ValueError(f"'{sinds.strip()}' is geen datum. Vul bij 'Alleen casussen gewijzigd sinds' een dag in "
                         f"als dag-maand-jaar, bijvoorbeeld 01-11-2026, of '{ALLE}'.") from None
    referentie = None
    if casus.strip().lower() not in ("", ALLE):
        try:
            referentie = casusreferentie(casus)
        except Zoekfout as exc:
            raise ValueError(f"{exc} Of laat '{ALLE}' staan.") from None
    if dag is not None and referentie is not None:
        raise ValueError(f"Kies een dag of één casus, niet allebei: laat bij de andere '{ALLE}' staan.")
    return dag, referentie


def zgw_instellingen(regio: Instellingen) -> ZgwInstellingen:
    if regio.zgw is None:
        raise GeenZgwInstellingen()
    return regio.zgw


def zgw_zaak(gegevens: ZaakGegevens, regio: Instellingen, kalender: Werkkalender) -> ZgwZaak:
    zgw = zgw_instellingen(regio)
    ids = _Identiteiten(zgw, regio.regio.code, gegevens.referentie)
    spoor = statusspoor(gegevens)
    afloop = afloop_van(spoor) if gegevens.afgesloten_op else None
    behandelaar_url = ids.url("rollen", "behandelaar")
    statussen = [_status(ids, zgw, overgang, i, i == len(spoor) - 1, behandelaar_url)
                 for i, overgang in enumerate(spoor)]
    rollen = [_behandelaar(ids, zgw, gegevens, [s["url"] for s in statussen])]
    if zgw.personen and gegevens.melder is not None and gegevens.melder.naam:
        rollen.append(_initiator(ids, zgw, gegevens))
    resultaat = _resultaat(ids, zgw, afloop) if afloop else None
    zaak = _zaak(ids, zgw, regio, kalender, gegevens, statussen, rollen, resultaat)
    return ZgwZaak(gegevens.referentie, zaak, statussen, resultaat, rollen)


def statusspoor(gegevens: ZaakGegevens) -> list[Statusovergang]:
    """`ontvangen` at opening, then every state change in order."""
    begin = Statusovergang(gegevens.geopend_op, Status.ontvangen)
    return [begin, *sorted(gegevens.overgangen, key=lambda o: o.tijdstip)]


def afloop_van(spoor: list[Statusovergang]) -> Afloop | None:
    """How a closed casus ended: after the state it was closed from."""
    if len(spoor) < 2 or spoor[-1].naar is not Status.afgesloten:
        return None
    return AFLOOP_VANUIT.get(spoor[-2].naar)


def verlenging_duur(verlenging: Termijnverlenging, kalender: Werkkalender) -> str:
    """The extension in working days of the legal calendar, as an ISO 8601 duration ('P5D')."""
    dagen = kalender.werkdagen_tussen(_datum(verlenging.van), _datum(verlenging.naar))
    return f"P{dagen}D"


class _Identiteiten:
    def __init__(self, zgw: ZgwInstellingen, regio_code: str, referentie: str) -> None:
        self._zgw, self._sleutel = zgw, f"{zgw.zaken_api}{regio_code}/{referentie}"

    def uuid(self, *deel: object) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join([self._sleutel, *map(str, deel)])))

    def url(self, collectie: str, *deel: object) -> str:
        return f"{self._zgw.zaken_api}{collectie}/{self.uuid(collectie, *deel)}"


def _catalogus(zgw: ZgwInstellingen, collectie: str, id_: uuid.UUID) -> str:
    return f"{zgw.catalogi_api}{collectie}/{id_}"


def _zaak(ids, zgw, regio, kalender, g: ZaakGegevens, statussen, rollen, resultaat) -> dict:
    gemeente = next((x.naam for x in regio.gemeenten if x.code == g.gemeente_code), g.gemeente_code)
    gesloten = _datum(g.afgesloten_op) if g.afgesloten_op else None
    return {
        "url": ids.url("zaken"),
        "uuid": ids.uuid("zaken"),
        "identificatie": g.referentie,
        "bronorganisatie": zgw.bronorganisatie,
        "omschrijving": zgw.zaak_omschrijving,
        "toelichting": f"Gemeente {gemeente} ({g.gemeente_code}); urgentie {label(g.urgentie).lower()}.",
        "zaaktype": _catalogus(zgw, "zaaktypen", zgw.zaaktype),
        "registratiedatum": _datum(g.geopend_op).isoformat(),
        "verantwoordelijkeOrganisatie": zgw.verantwoordelijke_organisatie,
        "startdatum": _datum(g.geopend_op).isoformat(),
        "einddatum": gesloten.isoformat() if gesloten else None,
        "uiterlijkeEinddatumAfdoening": None if gesloten else _eerste_vervaldatum(g.termijnen),
        "vertrouwelijkheidaanduiding": zgw.vertrouwelijkheidaanduiding.value,
        "betalingsindicatie": "nvt",
        "betalingsindicatieWeergave": _BETALING_NVT,
        "verlenging": _verlenging(g, kalender),
        "opschorting": _opschorting(g),
        "hoofdzaak": None,
        "deelzaken": [],
        "relevanteAndereZaken": [],
        "eigenschappen": [],
        "rollen": [r["url"] for r in rollen],
        "status": statussen[-1]["url"],
        "zaakinformatieobjecten": [],
        "zaakobjecten": [],
        "kenmerken": [],
        "archiefnominatie": "vernietigen",
        "archiefstatus": "nog_te_archiveren",
        # The file is destroyed bewaartermijn_jaren after closing (the closing letter says so).
        "archiefactiedatum": _plus_jaren(gesloten, regio.bewaartermijn_jaren).isoformat() if gesloten else None,
        "startdatumBewaartermijn": gesloten.isoformat() if gesloten else None,
        "resultaat": resultaat["url"] if resultaat else None,
    }


def _status(ids, zgw, overgang: Statusovergang, volgnummer: int, laatste: bool, gezet_door: str) -> dict:
    return {
        "url": ids.url("statussen", volgnummer),
        "uuid": ids.uuid("statussen", volgnummer),
        "zaak": ids.url("zaken"),
        "statustype": _catalogus(zgw, "statustypen", zgw.statustypen[overgang.naar]),
        "datumStatusGezet": _tijdstip(overgang.tijdstip),
        "statustoelichting": label(overgang.naar),
        "indicatieLaatstGezetteStatus": laatste,
        "gezetdoor": gezet_door,
        "zaakinformatieobjecten": [],
    }


def _resultaat(ids, zgw, afloop: Afloop) -> dict:
    return {
        "url": ids.url("resultaten"),
        "uuid": ids.uuid("resultaten"),
        "zaak": ids.url("zaken"),
        "resultaattype": _catalogus(zgw, "resultaattypen", zgw.resultaattypen[afloop]),
        "toelichting": _AFLOOP_TEKST[afloop],
    }


def _rol(ids, zgw, g: ZaakGegevens, soort: ZgwRol, betrokkene_type: str, identificatie: dict,
         toelichting: str, statussen: list[str]) -> dict:
    return {
        "url": ids.url("rollen", soort.value),
        "uuid": ids.uuid("rollen", soort.value),
        "zaak": ids.url("zaken"),
        "betrokkeneType": betrokkene_type,
        "roltype": _catalogus(zgw, "roltypen", zgw.roltypen[soort]),
        "omschrijving": label(soort),
        "omschrijvingGeneriek": soort.value,
        "roltoelichting": toelichting,
        "registratiedatum": _tijdstip(g.geopend_op),
        "indicatieMachtiging": "",
        "contactpersoonRol": None,
        "statussen": statussen,
        "betrokkeneIdentificatie": identificatie,
    }


def _behandelaar(ids, zgw, g: ZaakGegevens, statussen: list[str]) -> dict:
    eenheid = {"identificatie": zgw.behandelaar.identificatie, "naam": zgw.behandelaar.naam, "isGehuisvestIn": ""}
    return _rol(ids, zgw, g, ZgwRol.behandelaar, "organisatorische_eenheid", eenheid, "Behandelt de casus", statussen)


def _initiator(ids, zgw, g: ZaakGegevens) -> dict:
    # Only what identifies a natural person here: the store keeps one name and no BSN of a melder.
    persoon = {"geslachtsnaam": g.melder.naam}
    return _rol(ids, zgw, g, ZgwRol.initiator, "natuurlijk_persoon", persoon,
                _MELDER_TEKST.get(g.melder.soort, "Melder"), [])


def _opschorting(g: ZaakGegevens) -> dict:
    opgeschort = sorted((t for t in g.termijnen if t.opgeschort_op and not t.voldaan_op), key=lambda t: t.opgeschort_op)
    if not opgeschort:
        return {"indicatie": False, "reden": ""}
    return {"indicatie": True, "reden": _kort(opgeschort[0].opschort_reden or "Termijn opgeschort")}


def _verlenging(g: ZaakGegevens, kalender: Werkkalender) -> dict | None:
    if not g.verlengingen:
        return None
    laatste = max(g.verlengingen, key=lambda v: v.tijdstip)
    return {"reden": _kort(laatste.reden), "duur": verlenging_duur(laatste, kalender)}


def _eerste_vervaldatum(termijnen: tuple[TermijnStand, ...]) -> str | None:
    open_ = [t.vervalt_op for t in termijnen if t.voldaan_op is None and t.soort not in _GEEN_AFDOENINGSTERMIJN]
    return _datum(min(open_)).isoformat() if open_ else None


def _kort(tekst: str) -> str:
    """A reason within the specification's 200 characters (the store allows 500)."""
    tekst = " ".join(tekst.split())
    return tekst if len(tekst) <= _REDEN_MAX else tekst[: _REDEN_MAX - 1].rstrip() + "…"


def _tijdstip(moment: dt.datetime) -> str:
    return moment.astimezone(AMSTERDAM).replace(microsecond=0).isoformat()


def _datum(moment: dt.datetime) -> dt.date:
    return moment.astimezone(AMSTERDAM).date()


def _plus_jaren(datum: dt.date, jaren: int) -> dt.date:
    try:
        return datum.replace(year=datum.year + jaren)
    except ValueError:  # 29 February in a year without one
        return datum.replace(year=datum.year + jaren, day=28)
