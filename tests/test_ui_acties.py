"""The staff actions' run forms in both Prefect UIs (classic at /, new at /v2), in headless
Chromium: every label is the Dutch title, no Python name, no "(Optional)", the help texts show.
Screenshots go where VT_SCHERMAFDRUKKEN points (docs/screenshots for the handbook)."""

from __future__ import annotations

import json

import pytest

from tests.test_ui_browser import browser, prefect_ui, pytestmark, schermafdruk, systeem, wacht_op  # noqa: F401

ACTIES = {
    "capaciteit wisselen": ["Nieuwe werkwijze", "Reden"],
    "contact vastleggen": ["Casusnummer", "Gezin gesproken?", "Hoe", "Datum van het contact", "Tijd van het contact"],
    "brief opnieuw versturen": ["Briefnummer"],
    "bericht opnieuw versturen": ["Berichtnummer"],
    "knelpunt toevoegen": ["Laatste dag van de rapportageperiode", "Knelpunt", "Gemeente"],
    "rapportage regionaal overleg": ["Laatste dag van de periode", "Opnieuw versturen"],
}


def _deployment_id(api: str, naam: str) -> str:
    import urllib.request

    verzoek = urllib.request.Request(f"{api}/deployments/filter", method="POST", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"deployments": {"name": {"any_": [naam]}}}).encode())
    with urllib.request.urlopen(verzoek) as antwoord:
        [deployment] = json.load(antwoord)
    return deployment["id"]


@pytest.mark.parametrize("ui_pad", ["", "/v2"], ids=["klassiek", "nieuw"])
def test_every_staff_action_form_reads_in_dutch_in_both_uis(systeem, browser, ui_pad):
    from selenium.webdriver.common.by import By

    for naam, labels in ACTIES.items():
        browser.get(f"{systeem['ui']}{ui_pad}/deployments/deployment/{_deployment_id(systeem['api'], naam)}/run")
        body = wacht_op(browser, lambda b: (t := b.find_element(By.TAG_NAME, "body").text) and all(
            label in t for label in labels) and t, wat=f"formulier {naam}")
        assert "(Optional)" not in body, naam
        for python_naam in ("periode_eind", "opnieuw_versturen", "briefnummer", "berichtnummer", "uitkomst",
                            "None", "null"):
            assert python_naam not in body.split(), (naam, python_naam)
        assert "Uw naam" not in body, naam  # the gateway names who did it (web.toegang)
        schermafdruk(browser, f"actie-{naam.replace(' ', '-')}{ui_pad.replace('/', '-')}.png")
