"""What staff type to find a dossier is read the way the blind indexes hash it, or refused in Dutch."""

from __future__ import annotations

import pytest

from models.regels import zoeken


@pytest.mark.parametrize("getypt", ["111222333", "111 222 333", " 111.222.333 "])
def test_a_bsn_is_read_however_it_is_typed(getypt):
    assert zoeken.bsn(getypt) == "111222333"


@pytest.mark.parametrize("getypt, reden", [("12345678", "negen cijfers"), ("123456789", "elfproef"), ("", "negen")])
def test_a_wrong_bsn_is_refused_with_the_reason(getypt, reden):
    with pytest.raises(zoeken.Zoekfout, match=reden):
        zoeken.bsn(getypt)


@pytest.mark.parametrize("getypt", ["1234AB", "1234 ab", " 1234  Ab "])
def test_a_postcode_is_read_however_it_is_typed(getypt):
    assert zoeken.postcode(getypt) == "1234 AB"


@pytest.mark.parametrize("getypt", ["12", "12A", "12 a", "12-3", "012", "12 bis"])
def test_the_house_number_is_the_number_without_its_toevoeging(getypt):
    assert zoeken.huisnummer(getypt) == "12"


@pytest.mark.parametrize("adres, nummer", [("Fictiestraat 12", "12"), ("Kerkstraat 12-3", "12"),
                                           ("1e Jan Steenstraat 5 A", "5"), ("Plein 40a", "40"), ("Hofje", None)])
def test_the_house_number_of_a_stored_address_is_the_first_number_after_the_street(adres, nummer):
    assert zoeken.huisnummer_uit_adres(adres) == nummer


def test_a_stored_address_and_a_typed_search_give_the_same_values_to_hash():
    assert zoeken.adres_sleutelwaarden("1234ab", "Kerkstraat 12-3") == (zoeken.postcode("1234 AB"),
                                                                        zoeken.huisnummer("12"))


@pytest.mark.parametrize("getypt", ["vt-2026-000123", " VT-2026-000123 "])
def test_a_reference_is_read_in_capitals(getypt):
    assert zoeken.casusreferentie(getypt) == "VT-2026-000123"


def test_a_reference_of_another_form_is_refused():
    with pytest.raises(zoeken.Zoekfout, match="VT-2026-000123"):
        zoeken.casusreferentie("2026-123")
