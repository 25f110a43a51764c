"""The shared fixtures themselves: real SMTP via Apprise, outage/recovery, fresh databases."""

import apprise
import pytest
import sqlalchemy as sa


def _stuur(url: str, onderwerp: str) -> bool | None:
    a = apprise.Apprise()
    assert a.add(url), f"Apprise accepteert de URL niet: {url}"
    return a.notify(title=onderwerp, body="Testbericht", body_format=apprise.NotifyFormat.TEXT)


def test_smtp_server_receives_mail_via_apprise(smtp_server):
    assert smtp_server.host == "127.0.0.1"
    assert smtp_server.port > 0

    assert _stuur(smtp_server.apprise_url("team@vt-test.example.org"), "Eerste") is True

    berichten = smtp_server.wacht_op_berichten(1)
    assert len(berichten) == 1
    bericht = berichten[0]
    assert bericht["Subject"] == "Eerste"
    assert "team@vt-test.example.org" in bericht["To"]
    assert "orkestratie@vt-test.example.org" in bericht["From"]
    assert "Testbericht" in bericht.get_body(("plain", "html")).get_content()


def test_smtp_server_survives_stop_and_start(smtp_server):
    url = smtp_server.apprise_url("team@vt-test.example.org")
    poort = smtp_server.port

    smtp_server.stop()
    assert _stuur(url, "Tijdens storing") is False  # notify() never raises: False is a failure

    smtp_server.start()
    assert smtp_server.port == poort
    assert _stuur(url, "Na herstel") is True
    berichten = smtp_server.wacht_op_berichten(1)
    assert [b["Subject"] for b in berichten] == ["Na herstel"]


def test_database_url_is_fresh_and_empty(database_url):
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("select 1")).scalar() == 1
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_database_is_own_database(database_url):
    assert database_url.startswith("postgresql+psycopg://postgres@127.0.0.1:5432/vt_test_")
    naam = database_url.rsplit("/", 1)[1]
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("select current_database()")).scalar() == naam
            conn.execute(sa.text("create table probe (id int primary key)"))
            conn.commit()
        assert sa.inspect(engine).get_table_names() == ["probe"]
    finally:
        engine.dispose()
