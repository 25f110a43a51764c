"""The region's settings: one validated YAML file is the single source of truth for every
term, threshold, escalation step, recipient and municipality preference.

Process-level settings (database, encryption key, where the settings file lives) come from the
environment via `Omgeving`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.regels.levensloop import Afloop, Status
from models.regels.toegang import Rol

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_INSTELLINGEN = REPO_ROOT / "config" / "demo-regio.yaml"
TIJDZONE = "Europe/Amsterdam"


class Urgentie(StrEnum):
    acuut = "acuut"
    spoed = "spoed"
    regulier = "regulier"


class TermijnSoort(StrEnum):
    acute_reactie = "acute_reactie"
    veiligheidsbeoordeling = "veiligheidsbeoordeling"
    onderzoek = "onderzoek"
    voorwaarden_en_vervolg = "voorwaarden_en_vervolg"
    overdracht = "overdracht"
    monitoring = "monitoring"
    werkvoorraad_contact = "werkvoorraad_contact"


class Eenheid(StrEnum):
    minuten = "minuten"
    uren = "uren"
    werkdagen = "werkdagen"
    kalenderdagen = "kalenderdagen"
    weken = "weken"
    maanden = "maanden"


class TermijnStart(StrEnum):
    """Where a term starts counting. Sources disagree for onderzoek/V&V (DOMAIN.md)."""

    ontvangst = "ontvangst"  # the moment the melding was received
    aanvang = "aanvang"  # the moment the step itself starts (e.g. onderzoek begins)


class OverdrachtType(StrEnum):
    warm = "warm"
    telefonisch = "telefonisch"
    schriftelijk = "schriftelijk"


class CapaciteitsModus(StrEnum):
    normaal = "normaal"
    continuiteitsplan = "continuiteitsplan"


class _Strikt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _apprise_url(url: str) -> str:
    import apprise  # deferred: heavy import, only needed when settings are validated

    if not apprise.Apprise().add(url):
        raise ValueError(f"geen geldige Apprise-URL: {url.split('://', 1)[0]}://…")
    return url


AppriseUrl = Annotated[str, AfterValidator(_apprise_url)]


class TermijnRegel(_Strikt):
    """One legal or target term: how long, in which unit, from when, and when to warn."""

    aantal: int = Field(gt=0, description="Lengte van de termijn in de gekozen eenheid.")
    eenheid: Eenheid
    start: TermijnStart = TermijnStart.ontvangst
    waarschuwing_aandeel: float = Field(
        0.6, gt=0, lt=1, description="Deel van de termijn waarna het team een waarschuwing krijgt."
    )
    omschrijving: str


class UrgentieRegel(_Strikt):
    omschrijving: str
    termijnen_bij_intake: list[TermijnSoort] = Field(
        description="Termijnen die een melding met deze urgentie bij ontvangst krijgt."
    )
    werkvoorraad_toegestaan: bool = Field(
        description="Mag een zaak met deze urgentie op de werkvoorraad (wachtlijst)?"
    )
    contact_interval_werkdagen: int = Field(
        gt=0, description="Hoe vaak VT contact houdt met een wachtend gezin, in werkdagen."
    )


class ExtraNietWerkdag(_Strikt):
    datum: dt.date
    reden: str


class KalenderInstellingen(_Strikt):
    """The legal calendar on top of the Algemene termijnenwet feestdagen (from `holidays`)."""

    extra_niet_werkdagen: list[ExtraNietWerkdag] = Field(
        default_factory=list,
        description="Bij besluit gelijkgestelde brugdagen en regionale sluitingsdagen.",
    )
    kantoortijd_einde: dt.time = Field(
        dt.time(17, 0),
        description="Een melding die na dit tijdstip binnenkomt, telt vanaf de volgende werkdag.",
    )
    na_kantoortijd_volgende_werkdag: bool = True
    termijn_eindigt_om: dt.time = Field(
        dt.time(23, 59, 59), description="Tijdstip op de laatste dag waarop een termijn verstrijkt."
    )

    @field_validator("extra_niet_werkdagen")
    @classmethod
    def _uniek(cls, dagen: list[ExtraNietWerkdag]) -> list[ExtraNietWerkdag]:
        gezien = [d.datum for d in dagen]
        dubbel = sorted({d for d in gezien if gezien.count(d) > 1})
        if dubbel:
            raise ValueError(f"dubbele datum(s): {', '.join(map(str, dubbel))}")
        return dagen


def _postadres(adres: str) -> str:
    """An address where a driegesprek can take place: street and number, postcode, place."""
    adres = " ".join(adres.split())
    if not re.search(r"\S+ \d+.*\b\d{4} ?[A-Z]{2}\b \S+", adres):
        raise ValueError(f"'{adres}' is geen adres als 'Markt 1, 6591 BV Gennep' (straat en huisnummer, postcode, plaats)")
    return adres


Postadres = Annotated[str, AfterValidator(_postadres)]


class LokaalTeamInstelling(_Strikt):
    code: str = Field(pattern=r"^[A-Z0-9-]{2,32}$")
    naam: str
    email: EmailStr
    telefoon: str
    adres: Postadres = Field(description="Kantooradres van het team: de plaats van een driegesprek op hun kantoor.")


class Contactpersoon(_Strikt):
    """A VT employee (not a citizen): named in agendas and invitations."""

    naam: str
    email: EmailStr


class Plustaak(StrEnum):
    """The three tasks a gemeente can buy on top of VT's legal ones (seed 003, Helmond)."""

    voorlichting = "voorlichting"
    deskundigheidsbevordering = "deskundigheidsbevordering"
    samen_optrekken = "samen_optrekken"


class Plustaken(_Strikt):
    """What a gemeente buys on top of the legal tasks: hours per year for voorlichting and
    deskundigheidsbevordering (empty: not bought), and whether VT and the sociaal team start an
    onderzoek together where the situation allows (samen optrekken)."""

    samen_optrekken: bool = Field(
        False, description="Onderzoek waar de situatie het toelaat vanaf de start samen met het sociale team.")
    voorlichting_uren_per_jaar: float | None = Field(
        None, gt=0, le=10_000, description="Ingekochte uren voorlichting per kalenderjaar; leeg: niet afgenomen.")
    deskundigheidsbevordering_uren_per_jaar: float | None = Field(
        None, gt=0, le=10_000,
        description="Ingekochte uren deskundigheidsbevordering per kalenderjaar; leeg: niet afgenomen.")

    @model_validator(mode="after")
    def _iets_afgenomen(self) -> Plustaken:
        if not self.afgenomen:
            raise ValueError("plustaken noemt geen enkele plustaak: zet samen_optrekken aan of vul de uren per "
                             "jaar in voor voorlichting of deskundigheidsbevordering (of laat het blok weg)")
        return self

    @property
    def afgenomen(self) -> list[Plustaak]:
        return [t for t in Plustaak if self.neemt_af(t)]

    def neemt_af(self, taak: Plustaak) -> bool:
        if taak is Plustaak.samen_optrekken:
            return self.samen_optrekken
        return self.uren_per_jaar(taak) is not None

    def uren_per_jaar(self, taak: Plustaak) -> float | None:
        return getattr(self, f"{taak.value}_uren_per_jaar", None)


class Weekdag(StrEnum):
    maandag = "maandag"
    dinsdag = "dinsdag"
    woensdag = "woensdag"
    donderdag = "donderdag"
    vrijdag = "vrijdag"


class Overdrachtstafel(_Strikt):
    """The regular meeting where VT and the lokale teams of a gemeente hand over families (seed
    004): in the continuity plan a V&V casus is registered with the lokaal team and discussed here."""

    weekdag: Weekdag
    tijd: dt.time = Field(description="Aanvang, Nederlandse tijd.")
    plaats: str = Field(min_length=2, max_length=200, description="Waar de tafel is (een kantoor, of 'online').")
    ontvangers: list[EmailStr] = Field(
        min_length=1, description="Wie de agenda krijgt (de deelnemers van VT en de lokale teams).")
    agenda_minuten_vooraf: int = Field(
        120, ge=15, le=24 * 60, description="Zoveel minuten voor de tafel gaat de agenda uit.")


class GemeenteInstelling(_Strikt):
    code: str = Field(pattern=r"^GM\d{4}$", description="CBS-gemeentecode, bijvoorbeeld GM0907.")
    naam: str
    voorkeur_overdracht: OverdrachtType = OverdrachtType.telefonisch
    plustaken: Plustaken | None = Field(None, description="Ingekochte plustaken (seed 003); leeg: geen.")
    overdrachtstafel: Overdrachtstafel | None = Field(
        None, description="De vaste overdrachtstafel met de lokale teams (seed 004); leeg: geen.")
    vaste_contactpersoon: Contactpersoon | None = None
    wekelijks_casusoverleg: bool = False
    college_email: EmailStr = Field(description="Adres van het college, o.a. voor RvdK-verzoeken.")
    gemeentehuis: Postadres = Field(description="Adres van het gemeentehuis: de plaats van een driegesprek daar.")
    lokale_teams: list[LokaalTeamInstelling] = Field(min_length=1)

    @field_validator("plustaken", mode="before")
    @classmethod
    def _oude_vlag(cls, waarde):
        if isinstance(waarde, bool):
            raise ValueError("plustaken is geen ja/nee meer maar een blok: samen_optrekken (true/false), "
                             "voorlichting_uren_per_jaar en deskundigheidsbevordering_uren_per_jaar "
                             "(zie docs/beheer.md)")
        return waarde

    def neemt_af(self, taak: Plustaak) -> bool:
        return self.plustaken is not None and self.plustaken.neemt_af(taak)

    @model_validator(mode="after")
    def _overleg_vraagt_contactpersoon(self) -> GemeenteInstelling:
        if self.wekelijks_casusoverleg and self.vaste_contactpersoon is None:
            raise ValueError("wekelijks_casusoverleg vraagt om een vaste_contactpersoon")
        return self


class EscalatieMoment(StrEnum):
    # In ladder order: a ladder lists its steps in this order (see Escalatie).
    direct = "direct"  # as soon as the term starts (acute meldingen: the crisis service at once)
    waarschuwing = "waarschuwing"  # at waarschuwing_aandeel of the term
    vervaldatum = "vervaldatum"  # when the term falls due
    overschreden = "overschreden"  # a number of working days after it fell due


class EscalatieStap(_Strikt):
    naam: str = Field(pattern=r"^[a-z0-9_]+$")
    moment: EscalatieMoment
    werkdagen_na_vervaldatum: int = Field(0, ge=0)
    rollen: list[str] = Field(min_length=1)


class Escalatie(_Strikt):
    rollen: dict[str, list[AppriseUrl]] = Field(
        description="Per rol de Apprise-URL's die een waarschuwing of escalatie ontvangen."
    )
    ladder: list[EscalatieStap] = Field(min_length=1)
    acute_ladder: list[EscalatieStap] = Field(min_length=1)

    @model_validator(mode="after")
    def _rollen_bestaan(self) -> Escalatie:
        for stap in [*self.ladder, *self.acute_ladder]:
            onbekend = sorted(set(stap.rollen) - set(self.rollen))
            if onbekend:
                raise ValueError(f"stap '{stap.naam}' noemt onbekende rol(len): {', '.join(onbekend)}")
        return self

    @model_validator(mode="after")
    def _in_volgorde(self) -> Escalatie:
        # The deadline watch fires a term's steps one after the other, in ladder order.
        volgorde = list(EscalatieMoment)
        for naam, ladder in (("ladder", self.ladder), ("acute_ladder", self.acute_ladder)):
            sleutels = [(volgorde.index(s.moment), s.werkdagen_na_vervaldatum) for s in ladder]
            if sleutels != sorted(sleutels):
                raise ValueError(f"{naam}: zet de stappen in de volgorde waarin ze vallen "
                                 "(direct, waarschuwing, vervaldatum, overschreden)")
            namen = [s.naam for s in ladder]
            if len(set(namen)) != len(namen):
                raise ValueError(f"{naam}: elke stap heeft een eigen naam nodig")
        return self


class Afzender(_Strikt):
    """Sender details printed on every letter."""

    naam: str
    adres: str
    postcode: str
    plaats: str
    telefoon: str
    email: EmailStr
    website: str
    crisisnummer: str


class Rapportage(_Strikt):
    ontvangers: list[AppriseUrl] = Field(min_length=1)
    anker: dt.datetime = Field(description="Eerste rapportmoment (Europe/Amsterdam); daarna elke periode.")
    interval_weken: int = Field(2, gt=0)
    minimum_aantal: int = Field(5, gt=1, description="Aantallen daaronder tonen als '<N' (CBS-praktijk).")
    norm_veiligheidsbeoordeling: float = Field(
        0.9, gt=0, le=1, description="Landelijke norm: aandeel veiligheidsbeoordelingen binnen de termijn."
    )
    norm_onderzoek_en_venv: float = Field(
        0.8, gt=0, le=1, description="Landelijke norm: aandeel onderzoeken en V&V binnen de termijn."
    )
    grafiek_perioden: int = Field(6, ge=2, le=26, description="Aantal perioden in de grafiek van de werkvoorraad.")
    werkdagen_vanaf_jaar: int = Field(
        2010, ge=1990, description="Eerste jaar van de werkdagentabel waarmee de database wachttijden telt."
    )
    werkdagen_tot_en_met_jaar: int = Field(2040, le=2100)

    @model_validator(mode="after")
    def _jaren_op_volgorde(self) -> Rapportage:
        if self.werkdagen_tot_en_met_jaar < self.werkdagen_vanaf_jaar:
            raise ValueError("werkdagen_tot_en_met_jaar ligt voor werkdagen_vanaf_jaar")
        return self


class Bezorging(_Strikt):
    """How outgoing e-mail is delivered and retried."""

    smtp_url: AppriseUrl = Field(
        description="Apprise mailto-URL van de eigen mailserver, zonder 'to='; ontvangers worden toegevoegd."
    )
    max_pogingen: int = Field(8, gt=0, description="Daarna wordt het bericht geëscaleerd, nooit weggegooid.")
    eerste_wachttijd_seconden: int = Field(60, gt=0, description="Wachttijd na de eerste mislukte poging; verdubbelt.")
    maximale_wachttijd_seconden: int = Field(3600, gt=0)
    escalatie_rol: str = Field("teamleider", description="Rol die hoort van een onbestelbaar bericht.")
    tweede_kanaal: list[AppriseUrl] = Field(
        default_factory=list,
        description="Apprise-URL's buiten de eigen mailserver om (een tweede mailrelay, een sms-dienst, een "
        "Teams-webhook): hier gaat de melding over een onbestelbaar bericht of brief direct heen.",
    )
    nooit_opgeven: list[str] = Field(
        default_factory=lambda: ["acuut"],
        description="Soorten berichten die nooit worden opgegeven (het crisisbericht): ook na max_pogingen "
        "blijft de bezorging het proberen tot het bericht aankomt.",
    )
    nooit_opgeven_melden_na: int = Field(
        2, gt=0, description="Na zoveel mislukte pogingen hoort het tweede kanaal van zo'n bericht (één keer); "
        "niet pas na max_pogingen, want een crisisbericht kan niet uren wachten.",
    )
    nooit_opgeven_wachttijd_seconden: int = Field(
        300, gt=0, description="Langste wachttijd tussen twee pogingen voor zo'n bericht, zodat het kort na het "
        "herstel van de mailserver alsnog aankomt.",
    )


class Brieven(_Strikt):
    """Letters to families and melders (issue 5): where printed letters go, and who may read them."""

    printwachtrij: Path | None = Field(
        None, description="Map die de postkamer leegt; standaard <VT_DATA_MAP>/printwachtrij."
    )
    printwachtrij_groep: str | None = Field(
        None,
        description="Groep van de postkamer: die mag de printwachtrij lezen (map 0750, brieven 0640). "
                    "Leeg: alleen de gebruiker van het systeem zelf.",
    )

    @field_validator("printwachtrij_groep")
    @classmethod
    def _groep_bestaat(cls, groep: str | None) -> str | None:
        import grp

        if groep is None:
            return None
        try:
            grp.getgrnam(groep)
        except KeyError:
            raise ValueError(f"de groep '{groep}' bestaat niet op deze machine") from None
        return groep


class WerkvoorraadZorg(_Strikt):
    """Care for families on the werkvoorraad (issue 5): repeat letters, contact limits, teams."""

    wachtlijstbrief_herhaal_werkdagen: int = Field(
        20, gt=0, description="Wacht een gezin na de eerste wachtlijstbrief nog zo lang, dan krijgt het een nieuwe."
    )
    buiten_beeld_na_intervallen: int = Field(
        2, ge=1, description="Zoveel contactintervallen zonder bereikt contact: risico dat het gezin uit beeld raakt."
    )
    team_rol: str = Field("behandelteam", description="Rol die de dagelijkse contactlijst krijgt.")
    team_rol_per_gemeente: dict[str, str] = Field(
        default_factory=dict, description="Afwijkende rol per gemeentecode (bijv. een eigen team per gemeente)."
    )
    escalatie_rol: str = Field("teamleider", description="Rol die hoort van een gezin dat uit beeld dreigt te raken.")

    def rol_voor(self, gemeente_code: str) -> str:
        return self.team_rol_per_gemeente.get(gemeente_code, self.team_rol)


class Inloopplan(_Strikt):
    """The plan to work off the wachtlijst (seed 004, issue 16): from the inflow and throughput
    of the last `venster_weken`, when the wachtlijst is back at its usual level. The usual level
    is not a number in this file: it is the wachtlijst at which a family waits the usual time
    (`gebruikelijke_wachttijd_werkdagen`), i.e. the weekly inflow times that wait (Little's law),
    so it follows each gemeente's size and the region's own promise to families."""

    venster_weken: int = Field(
        8, ge=1, le=52, description="Over zoveel weken worden instroom en doorstroom gemeten (in het rapport: het laatste "
        "afgesloten blok van zoveel weken; een veelvoud van rapportage.interval_weken).")
    doel_weken: int = Field(
        13, ge=1, le=104, description="Zonder doeldatum: het doel is zoveel weken na de peildatum."
    )
    doeldatum: dt.date | None = Field(None, description="Vaste doeldatum voor het rapport (gaat voor doel_weken).")


class RegioInstellingen(_Strikt):
    code: str = Field(pattern=r"^[A-Z0-9-]{2,16}$")
    naam: str
    ui_basis_url: str = Field("http://127.0.0.1:4200/v2", description="Adres van de Prefect UI (de nieuwe weergave, /v2) "
                              "achter de toegangspoort, voor links in e-mails.")
    dossier_basis_url: str = Field(
        "http://127.0.0.1:4200/dossier",
        description="Adres van de dossierpagina's (achter de toegangspoort) voor de link 'Dossier' bij elk "
        "formulier en in het casusoverzicht. De link draagt alleen het casusnummer.",
    )


class LevensloopInstellingen(_Strikt):
    """The lifecycle flows (issue 3): who hears of what, and how the flows run."""

    crisisdienst_rol: str = Field(
        "crisisdienst", description="Rol die bij een acute melding binnen een minuut een e-mail krijgt."
    )
    buiten_beeld_rol: str = Field(
        "teamleider", description="Rol die hoort dat een gezin tijdens monitoring buiten beeld raakte."
    )
    capaciteit_variabele: str = Field(
        "capaciteitsmodus",
        pattern=r"^[a-z0-9_]+$",
        description="Naam van de Prefect-variabele die `capaciteit` overschrijft zonder herstart.",
    )
    casusagenda_cron: str = Field(
        "0 8 * * 1", description="Wanneer de wekelijkse casusagenda gaat (cron, Europe/Amsterdam)."
    )
    gelijktijdige_starts: int = Field(
        4, gt=0, description="Hoeveel casus-runs `vt levensloop start-open` tegelijk opstart (een run die op "
        "een formulier wacht, telt niet mee)."
    )
    gelijktijdige_verzoeken: int = Field(
        10, gt=0, le=200, description="Hoeveel verzoeken aan Prefect `vt levensloop start-open` tegelijk doet bij het "
        "in één keer klaarzetten van runs die direct op hun formulier wachten."
    )
    bewaking_interval_seconden: int = Field(
        120, ge=10, description="Hoe vaak de bewaking 'casussen in beeld' kijkt of elke open casus bij zijn besluit "
        "wacht (seconden)."
    )
    stap_max_seconden: int = Field(
        600, ge=5, description="Zo lang mag een levensloop-run lopen of op zijn start wachten tussen twee formulieren "
        "(seconden); daarna geldt hij als vastgelopen en start de bewaking hem opnieuw. Ruim boven een normale stap."
    )
    max_herstarts: int = Field(
        3, gt=0, description="Zo vaak mag de bewaking de levensloop van één casus binnen herstart_venster_minuten "
        "opnieuw starten; daarna krijgt bewaking_rol direct bericht in plaats van nog een herstart."
    )
    herstart_venster_minuten: int = Field(60, gt=0, description="Venster voor max_herstarts (minuten).")
    bewaking_rol: str = Field(
        "teamleider", description="Rol die direct een e-mail krijgt als de bewaking een casus niet terug in beeld "
        "krijgt."
    )
    hartslag_seconden: int = Field(
        30, ge=30, le=600, description="Cluster-opzet: zo vaak laat een lopende run Prefect weten dat hij leeft "
        "(seconden; Prefect staat niet minder dan 30 toe)."
    )
    hartslag_venster_seconden: int = Field(
        300, ge=75, description="Cluster-opzet: zo lang mag Prefect niets horen van een run die loopt of op zijn "
        "start wacht, voor de bewaking kijkt of zijn machine weg is (seconden). Ruim boven de start van een run op "
        "een zwaar belaste machine en boven twee keer hartslag_seconden; korter ontdekt een verloren machine sneller, "
        "langer dan stap_max_seconden heeft geen zin (dan start de bewaking de run al als vastgelopen)."
    )

    @model_validator(mode="after")
    def _venster_ruimer_dan_hartslag(self) -> LevensloopInstellingen:
        if self.hartslag_venster_seconden < 2 * self.hartslag_seconden + 15:
            raise ValueError("hartslag_venster_seconden moet minstens twee keer hartslag_seconden plus 15 zijn, "
                             "anders geldt een gezonde run die één hartslag te laat is al als verdwenen")
        return self


class AuditketenInstellingen(_Strikt):
    """The audit chain (models/regels/auditketen.py): where its daily anchor goes, what the check reads."""

    anker_ontvangers: list[AppriseUrl] = Field(
        default_factory=list,
        description="Wie het dagelijkse anker van de audittrail krijgt, buiten het eigen systeem (bijvoorbeeld "
                    "de functionaris gegevensbescherming). Leeg: de rol beheer.",
    )
    ankers_controleren: int = Field(
        7, ge=1, le=366, description="Zoveel van de nieuwste ankers vergelijkt de controle met de audittrail.")


class InvoerInstellingen(_Strikt):
    """Bounds on dates that staff type in or an import brings (issue 11): a year 1850 or 0001 is
    a typing or export error, never a melding."""

    vroegste_ontvangst: dt.date = Field(
        dt.date(2000, 1, 1),
        description="Een melding die eerder ontvangen zou zijn, wordt geweigerd (ook bij een import).",
    )
    geboortedatum_jaren_terug: int = Field(
        120, ge=1, le=150, description="Een geboortedatum die langer geleden ligt, wordt geweigerd."
    )
    ontvangst_marge_minuten: int = Field(
        5, ge=0, le=60, description="Zoveel minuten mag een ontvangstmoment in de toekomst liggen (klokverschil)."
    )


class OidcInstellingen(_Strikt):
    """The region's own OpenID Connect provider. The client secret is no setting: it comes from
    the environment variable named in `client_secret_variabele`, so this file holds no secret."""

    issuer: str = Field(description="Adres van de identity provider (de 'issuer', zonder /.well-known/...).")
    client_id: str
    client_secret_variabele: str = Field("VT_OIDC_CLIENT_SECRET", pattern=r"^[A-Z][A-Z0-9_]*$")
    scopes: str = "openid profile email"
    account_claim: str = Field("preferred_username", description="Claim met de accountnaam (audittrail, inzagelog).")
    naam_claim: str = Field("name", description="Claim met de naam die op het scherm staat.")
    rollen_claim: str = Field("roles", description="Claim met de rollen (lijst of spatie-gescheiden tekst).")
    gemeente_claim: str = Field("gemeente", description="Claim met de CBS-code van de gemeente (rol gemeente).")
    rollen: dict[str, Rol] = Field(
        default_factory=dict,
        description="Vertaling van waarden in de rollenclaim naar onze rollen; een waarde die al een rol is "
        "(medewerker, teamleider, beheer, gemeente) hoeft er niet in.",
    )


class ToegangInstellingen(_Strikt):
    """The gateway (web.toegang): sessions, log-in, and where identities come from."""

    sessie_minuten: float = Field(15, gt=0, le=720, description="Zoveel minuten zonder activiteit en de sessie verloopt.")
    max_mislukte_pogingen: int = Field(
        5, ge=1, description="Na zoveel verkeerde wachtwoorden voor een account wordt inloggen vertraagd.")
    vertraging_seconden: int = Field(
        30, ge=1, description="Zo lang wacht een account na te veel verkeerde wachtwoorden (verdubbelt elke keer).")
    lokale_accounts: bool = Field(
        True, description="Inloggen met een lokaal account (vt account). Uit bij een regio met alleen OIDC.")
    oidc: OidcInstellingen | None = None


class Vertrouwelijkheid(StrEnum):
    """vertrouwelijkheidaanduiding of the Zaken API 1.5.1, in its own order."""

    openbaar = "openbaar"
    beperkt_openbaar = "beperkt_openbaar"
    intern = "intern"
    zaakvertrouwelijk = "zaakvertrouwelijk"
    vertrouwelijk = "vertrouwelijk"
    confidentieel = "confidentieel"
    geheim = "geheim"
    zeer_geheim = "zeer_geheim"


class ZgwRol(StrEnum):
    """The roles of a zaak the ZGW export writes (omschrijvingGeneriek of the Zaken API)."""

    behandelaar = "behandelaar"
    initiator = "initiator"


def _is_rsin(waarde: str) -> str:
    """An RSIN: nine digits that pass the elfproef (weights 9..2, the last digit counts -1)."""
    if not re.fullmatch(r"\d{9}", waarde):
        raise ValueError(f"'{waarde}' is geen RSIN: negen cijfers")
    cijfers = [int(c) for c in waarde]
    if (sum(c * (9 - i) for i, c in enumerate(cijfers[:8])) - cijfers[8]) % 11:
        raise ValueError(f"'{waarde}' is geen geldig RSIN (elfproef)")
    return waarde


def _api_basis(url: str) -> str:
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?/", url):
        raise ValueError(f"'{url}' is geen basisadres van een API: http(s)://host/pad/ (met een / aan het eind)")
    return url


Rsin = Annotated[str, AfterValidator(_is_rsin)]
ApiBasis = Annotated[str, AfterValidator(_api_basis)]


class ZgwBehandelaar(_Strikt):
    """The organisational unit that handles every zaak (a Rol organisatorische_eenheid)."""

    identificatie: str = Field(min_length=1, max_length=24)
    naam: str = Field(min_length=1, max_length=50)


class ZgwInstellingen(_Strikt):
    """The ZGW export (Zaken API 1.5.1, `vt export zgw`): where the resources will live and the
    Veilig Thuis catalogue (zaaktype, a statustype per lifecycle state, a resultaattype per way
    a casus ends, the roltypen) in the region's Catalogi API. Each type is its UUID there; its
    URL is the Catalogi API base + zaaktypen/, statustypen/, resultaattypen/ or roltypen/ + UUID."""

    catalogi_api: ApiBasis = Field(description="Basisadres van de Catalogi API, bijv. https://open-zaak.example.nl/catalogi/api/v1/")
    zaken_api: ApiBasis = Field(description="Basisadres van de Zaken API waar de zaken komen (hun url en uuid).")
    bronorganisatie: Rsin = Field(description="RSIN van de organisatie die de zaken aanmaakt.")
    verantwoordelijke_organisatie: Rsin = Field(description="RSIN van de organisatie die eindverantwoordelijk is.")
    zaaktype: uuid.UUID
    zaak_omschrijving: str = Field("Casus Veilig Thuis", min_length=1, max_length=80,
                                   description="Korte omschrijving van elke zaak (geen persoonsgegevens).")
    vertrouwelijkheidaanduiding: Vertrouwelijkheid = Vertrouwelijkheid.geheim
    statustypen: dict[Status, uuid.UUID] = Field(description="Per stap van de levensloop het statustype.")
    resultaattypen: dict[Afloop, uuid.UUID] = Field(description="Per afloop van een afgesloten casus het resultaattype.")
    roltypen: dict[ZgwRol, uuid.UUID]
    behandelaar: ZgwBehandelaar
    personen: bool = Field(
        False, description="Ook de melder als initiator (natuurlijk persoon, alleen de naam). Uit: geen enkele persoon.")

    @model_validator(mode="after")
    def _catalogus_compleet(self) -> ZgwInstellingen:
        for naam, gegeven, soort in (("statustypen", self.statustypen, Status), ("resultaattypen", self.resultaattypen, Afloop),
                                     ("roltypen", self.roltypen, ZgwRol)):
            ontbrekend = [s.value for s in soort if s not in gegeven]
            if ontbrekend:
                raise ValueError(f"zgw.{naam} mist: {', '.join(ontbrekend)}")
        alle = [self.zaaktype, *self.statustypen.values(), *self.resultaattypen.values(), *self.roltypen.values()]
        dubbel = sorted({str(u) for u in alle if alle.count(u) > 1})
        if dubbel:
            raise ValueError(f"zgw: elk type heeft een eigen UUID; dubbel: {', '.join(dubbel)}")
        return self


class Instellingen(_Strikt):
    regio: RegioInstellingen
    afzender: Afzender
    kalender: KalenderInstellingen = KalenderInstellingen()
    termijnen: dict[TermijnSoort, TermijnRegel]
    urgenties: dict[Urgentie, UrgentieRegel]
    monitoring_momenten_maanden: list[int] = Field(
        [3], min_length=1, description="Controlemomenten na overdracht, in maanden."
    )
    gebruikelijke_wachttijd_werkdagen: int = Field(
        20, gt=0, description="Wacht een gezin langer, dan krijgt het de brief 'langer dan gebruikelijk'."
    )
    capaciteit: CapaciteitsModus = CapaciteitsModus.normaal
    bewaartermijn_jaren: int = Field(20, ge=15, description="Bewaartermijn van dossiers (15-20+ jaar).")
    gemeenten: list[GemeenteInstelling] = Field(min_length=1)
    escalatie: Escalatie
    rapportage: Rapportage
    bezorging: Bezorging
    brieven: Brieven = Brieven()
    werkvoorraad: WerkvoorraadZorg = WerkvoorraadZorg()
    inloopplan: Inloopplan = Inloopplan()
    levensloop: LevensloopInstellingen = LevensloopInstellingen()
    invoer: InvoerInstellingen = InvoerInstellingen()
    auditketen: AuditketenInstellingen = AuditketenInstellingen()
    toegang: ToegangInstellingen = ToegangInstellingen()
    zgw: ZgwInstellingen | None = Field(None, description="De ZGW-export (vt export zgw); leeg: geen export.")
    beheer_rol: str = Field(
        "beheer", description="Rol die hoort dat het instellingenbestand ongeldig werd terwijl het systeem draait."
    )

    @model_validator(mode="after")
    def _volledig(self) -> Instellingen:
        ontbrekend = sorted(set(TermijnSoort) - set(self.termijnen))
        if ontbrekend:
            raise ValueError(f"termijnen ontbreken: {', '.join(ontbrekend)}")
        ontbrekend = sorted(set(Urgentie) - set(self.urgenties))
        if ontbrekend:
            raise ValueError(f"urgenties ontbreken: {', '.join(ontbrekend)}")
        codes = [g.code for g in self.gemeenten]
        dubbel = sorted({c for c in codes if codes.count(c) > 1})
        if dubbel:
            raise ValueError(f"gemeentecode komt dubbel voor: {', '.join(dubbel)}")
        if self.beheer_rol not in self.escalatie.rollen:
            raise ValueError(f"beheer_rol '{self.beheer_rol}' is geen rol in escalatie.rollen")
        for naam in ("crisisdienst_rol", "buiten_beeld_rol", "bewaking_rol"):
            if getattr(self.levensloop, naam) not in self.escalatie.rollen:
                raise ValueError(f"levensloop.{naam} '{getattr(self.levensloop, naam)}' is geen rol in escalatie.rollen")
        if self.bezorging.escalatie_rol not in self.escalatie.rollen:
            raise ValueError(f"bezorging.escalatie_rol '{self.bezorging.escalatie_rol}' is geen rol in escalatie.rollen")
        teams = [t.code for g in self.gemeenten for t in g.lokale_teams]
        dubbel = sorted({c for c in teams if teams.count(c) > 1})
        if dubbel:
            raise ValueError(f"code van lokaal team komt dubbel voor: {', '.join(dubbel)}")
        if self.inloopplan.venster_weken % self.rapportage.interval_weken:
            # The window is a block of whole report periods (models/regels/perioden.py: blokeind).
            raise ValueError(f"inloopplan.venster_weken ({self.inloopplan.venster_weken}) is geen veelvoud van "
                             f"rapportage.interval_weken ({self.rapportage.interval_weken})")
        return self

    @model_validator(mode="after")
    def _werkvoorraad_rollen_bestaan(self) -> Instellingen:
        zorg = self.werkvoorraad
        for rol in [zorg.team_rol, zorg.escalatie_rol, *zorg.team_rol_per_gemeente.values()]:
            if rol not in self.escalatie.rollen:
                raise ValueError(f"werkvoorraad noemt rol '{rol}', die niet in escalatie.rollen staat")
        onbekend = sorted(set(zorg.team_rol_per_gemeente) - {g.code for g in self.gemeenten})
        if onbekend:
            raise ValueError(f"werkvoorraad.team_rol_per_gemeente noemt onbekende gemeente(n): {', '.join(onbekend)}")
        return self

    def gemeente(self, code: str) -> GemeenteInstelling:
        for gemeente in self.gemeenten:
            if gemeente.code == code:
                return gemeente
        raise KeyError(f"onbekende gemeente {code}")


class OngeldigeInstellingen(Exception):
    """The settings file cannot be used; the message names each field and the reason."""


def laad_instellingen(pad: Path | str) -> Instellingen:
    pad = Path(pad)
    return _uit_bytes(pad, _lees(pad))


def _lees(pad: Path) -> bytes:
    try:
        return pad.read_bytes()
    except FileNotFoundError as exc:
        raise OngeldigeInstellingen(f"Instellingenbestand niet gevonden: {pad}") from exc
    except (IsADirectoryError, PermissionError) as exc:
        raise OngeldigeInstellingen(f"Instellingenbestand {pad} kan niet worden gelezen (map of geen leesrechten)") from exc


def _uit_bytes(pad: Path, inhoud: bytes) -> Instellingen:
    try:
        ruw = yaml.safe_load(inhoud.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise OngeldigeInstellingen(
            f"Instellingenbestand {pad} is geen UTF-8-tekst (teken op positie {exc.start}); "
            "sla het op als UTF-8") from exc
    except yaml.YAMLError as exc:
        raise OngeldigeInstellingen(f"{pad} is geen geldige YAML: {exc}") from exc
    except RecursionError as exc:
        raise OngeldigeInstellingen(f"Instellingenbestand {pad} is te diep genest") from exc
    try:
        return Instellingen.model_validate(ruw)
    except ValidationError as exc:
        from models.regels.fouten import beschrijf_validatiefouten

        regels = "\n".join(f"  - {r}" for r in beschrijf_validatiefouten(exc))
        raise OngeldigeInstellingen(f"Instellingenbestand {pad} is ongeldig:\n{regels}") from exc


class Omgeving(BaseSettings):
    """Process settings from the environment (or a `.env` file)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        f"sqlite:///{REPO_ROOT / '.vt' / 'casussen.db'}",
        validation_alias="DATABASE_URL",
    )
    encryption_key: str | None = Field(
        None,
        validation_alias="VT_ENCRYPTION_KEY",
        description="Fernet-sleutel(s), komma-gescheiden; de eerste versleutelt.",
    )
    poort_geheim: str | None = Field(
        None, validation_alias="VT_POORT_GEHEIM",
        description="Sleutel waarmee de toegangspoort zijn cookies ondertekent, op elke poort dezelfde; "
                    "leeg: <VT_DATA_MAP>/toegangspoort.geheim (bij de eerste start gemaakt).")
    instellingen_pad: Path = Field(DEMO_INSTELLINGEN, validation_alias="VT_INSTELLINGEN")
    data_map: Path = Field(REPO_ROOT / ".vt", validation_alias="VT_DATA_MAP")
    zgw_map: Path | None = Field(
        None, validation_alias="VT_ZGW_MAP", description="Map van de ZGW-export; leeg: <VT_DATA_MAP>/zgw-export.")


@dataclass(frozen=True)
class Instellingsstoring:
    """The settings file became unusable while the system runs; the last valid version stays in
    use. `versie` (a hash of the broken file) lets beheer hear of each broken version once."""

    pad: Path
    versie: str
    melding: str


_cache: dict[Path, Instellingen] = {}
_stempels: dict[Path, tuple | None] = {}  # the file's stat when it was read into _cache
_storingen: dict[Path, Instellingsstoring] = {}
_LAATST_GELDIG = "instellingen-laatst-geldig.yaml"


def _stempel(pad: Path) -> tuple | None:
    try:
        st = pad.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def instellingen(pad: Path | None = None, *, streng: bool = False) -> Instellingen:
    """The region's settings, read again when the file changes (a stat per call). When the file
    became invalid, the last valid version stays in use and `instellingsstoring()` says why:
    a deadline watch must not stop over a typo. Also a new process (each served flow run) finds
    that version, in <VT_DATA_MAP>/instellingen-laatst-geldig.yaml. `streng` (a `vt` command
    that checks the settings) raises the Dutch error instead."""
    pad = (pad or Omgeving().instellingen_pad).resolve()
    stempel = _stempel(pad)
    if pad not in _cache or _stempels.get(pad) != stempel:
        _herlaad(pad, stempel)
    if streng and pad in _storingen:
        raise OngeldigeInstellingen(_storingen[pad].melding)
    return _cache[pad]


def _herlaad(pad: Path, stempel: tuple | None) -> None:
    inhoud = b""
    try:
        inhoud = _lees(pad)
        geladen = _uit_bytes(pad, inhoud)
    except OngeldigeInstellingen as exc:
        vorige = _cache.get(pad) or _laatst_geldige(pad)
        if vorige is None:
            raise
        _storingen[pad] = Instellingsstoring(pad, hashlib.sha256(inhoud).hexdigest(), str(exc))
        _cache[pad], _stempels[pad] = vorige, stempel
        return
    _cache[pad], _stempels[pad] = geladen, stempel
    _storingen.pop(pad, None)
    _bewaar_laatst_geldige(pad, inhoud)


def instellingsstoring(pad: Path | None = None) -> Instellingsstoring | None:
    """Why the settings file on disk is not in use (None when it is)."""
    pad = (pad or Omgeving().instellingen_pad).resolve()
    instellingen(pad)
    return _storingen.get(pad)


def _kopie() -> Path:
    return Omgeving().data_map / _LAATST_GELDIG


def _bewaar_laatst_geldige(pad: Path, inhoud: bytes) -> None:
    """Keep a copy of a valid settings file (first line: where it came from). Readable by the
    owner only: notification URLs may hold mail credentials."""
    kopie = _kopie()
    tekst = f"# bron: {pad}\n".encode() + inhoud
    try:
        if kopie.is_file() and kopie.read_bytes() == tekst:
            return
        kopie.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tijdelijk = kopie.with_name(f".{kopie.name}.{os.getpid()}")
        tijdelijk.touch(mode=0o600)
        tijdelijk.write_bytes(tekst)
        os.replace(tijdelijk, kopie)
    except OSError:
        pass  # a read-only data folder: the process keeps its own copy in memory


def _laatst_geldige(pad: Path) -> Instellingen | None:
    try:
        bron, _, inhoud = _kopie().read_bytes().partition(b"\n")
        if bron.decode("utf-8") != f"# bron: {pad}":
            return None  # a copy of another settings file
        return _uit_bytes(pad, inhoud)
    except (OSError, UnicodeDecodeError, OngeldigeInstellingen):
        return None
