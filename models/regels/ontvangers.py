"""Who receives a notification, resolved against the settings when it is sent.

The outbox stores a recipient *key*, not Apprise URLs (those may hold credentials, and a changed
setting should reach messages still waiting): `rol:<naam>`, `rapportage`, `tweede_kanaal` (the
channel outside the own mail server, for undeliverable messages), or `adres:<e-mail>` for an
organisation's address from the settings (lokaal team, college, VT contact person).
Citizens never receive notifications: their letters go through the letter archive."""

from __future__ import annotations

from urllib.parse import quote

from models.regels.instellingen import Instellingen


class OnbekendeOntvanger(ValueError):
    pass


def rol(naam: str) -> str:
    return f"rol:{naam}"


def adres(email: str) -> str:
    return f"adres:{email}"


RAPPORTAGE = "rapportage"
TWEEDE_KANAAL = "tweede_kanaal"
AUDITANKER = "auditanker"  # who keeps the daily anchor of the audit chain (outside our store)


def apprise_urls(ontvanger: str, instellingen: Instellingen) -> list[str]:
    soort, _, waarde = ontvanger.partition(":")
    if soort == "rol":
        if waarde not in instellingen.escalatie.rollen:
            raise OnbekendeOntvanger(f"rol '{waarde}' staat niet in escalatie.rollen")
        return list(instellingen.escalatie.rollen[waarde])
    if soort == RAPPORTAGE:
        return list(instellingen.rapportage.ontvangers)
    if soort == TWEEDE_KANAAL:
        return list(instellingen.bezorging.tweede_kanaal)
    if soort == AUDITANKER:
        return list(instellingen.auditketen.anker_ontvangers) or apprise_urls(rol(instellingen.beheer_rol), instellingen)
    if soort == "adres" and "@" in waarde:
        basis = instellingen.bezorging.smtp_url
        return [f"{basis}{'&' if '?' in basis else '?'}to={quote(waarde, safe='@')}"]
    raise OnbekendeOntvanger(f"onbekende ontvanger '{ontvanger}'")
