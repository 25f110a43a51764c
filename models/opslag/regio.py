"""Reference data: the region, its municipalities and their local teams.

The settings file is the source of truth; these tables mirror it so that cases and reports can
join on them. `synchroniseer` brings the tables in line with the settings.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlmodel import Field, Session, SQLModel, select

from models.regels.instellingen import Instellingen


class Regio(SQLModel, table=True):
    code: str = Field(sa_type=String(16), primary_key=True)
    naam: str


class Gemeente(SQLModel, table=True):
    code: str = Field(sa_type=String(6), primary_key=True)
    naam: str
    regio_code: str = Field(sa_type=String(16), foreign_key="regio.code")
    voorkeur_overdracht: str = Field(sa_type=String(16))
    plustaken: bool = False
    vaste_contactpersoon_naam: str | None = None
    vaste_contactpersoon_email: str | None = None
    wekelijks_casusoverleg: bool = False
    college_email: str
    actief: bool = True


class LokaalTeam(SQLModel, table=True):
    __tablename__ = "lokaalteam"

    code: str = Field(sa_type=String(32), primary_key=True)
    gemeente_code: str = Field(sa_type=String(6), foreign_key="gemeente.code", index=True)
    naam: str
    email: str
    telefoon: str
    actief: bool = True


def synchroniseer(session: Session, instellingen: Instellingen) -> None:
    """Upsert region, municipalities and teams from the settings. Municipalities that left the
    settings are kept (their cases still refer to them) but marked inactive."""
    regio = instellingen.regio
    session.merge(Regio(code=regio.code, naam=regio.naam))
    session.flush()
    bekend = set()
    for g in instellingen.gemeenten:
        bekend.add(g.code)
        contact = g.vaste_contactpersoon
        session.merge(
            Gemeente(
                code=g.code,
                naam=g.naam,
                regio_code=regio.code,
                voorkeur_overdracht=g.voorkeur_overdracht.value,
                plustaken=g.plustaken is not None,
                vaste_contactpersoon_naam=contact.naam if contact else None,
                vaste_contactpersoon_email=str(contact.email) if contact else None,
                wekelijks_casusoverleg=g.wekelijks_casusoverleg,
                college_email=str(g.college_email),
                actief=True,
            )
        )
    session.flush()
    teams = set()
    for g in instellingen.gemeenten:
        for t in g.lokale_teams:
            teams.add(t.code)
            session.merge(
                LokaalTeam(
                    code=t.code, gemeente_code=g.code, naam=t.naam,
                    email=str(t.email), telefoon=t.telefoon, actief=True,
                )
            )
    for gemeente in session.exec(select(Gemeente).where(Gemeente.code.not_in(bekend))):
        gemeente.actief = False
    for team in session.exec(select(LokaalTeam).where(LokaalTeam.code.not_in(teams))):
        team.actief = False
