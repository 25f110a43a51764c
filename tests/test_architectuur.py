"""The layers under models/ hold: the pure rules import no storage and no Prefect, and storage
imports nothing from the layers above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REGELS = Path(__file__).resolve().parents[1] / "models" / "regels"
VERBODEN = ("sqlalchemy", "sqlmodel", "prefect", "models.opslag", "models.dossier", "models.lezen",
            "models.brieven", "tasks", "flows")


def geimporteerd(pad: Path) -> list[str]:
    namen = []
    for knoop in ast.walk(ast.parse(pad.read_text(), str(pad))):
        if isinstance(knoop, ast.Import):
            namen += [alias.name for alias in knoop.names]
        elif isinstance(knoop, ast.ImportFrom) and knoop.module:
            namen.append(knoop.module)
            # "from models import opslag" names the package in the alias, not the module
            namen += [f"{knoop.module}.{alias.name}" for alias in knoop.names]
    return namen


OPSLAG = REGELS.parent / "opslag"
BOVEN_OPSLAG = ("prefect", "models.dossier", "models.lezen", "models.brieven", "tasks", "flows")


def is_verboden(naam: str, verboden=VERBODEN) -> bool:
    return any(naam == v or naam.startswith(v + ".") for v in verboden)


@pytest.mark.parametrize("pad", sorted(REGELS.glob("*.py")), ids=lambda p: p.name)
def test_a_rule_module_imports_no_storage_and_no_prefect(pad):
    assert [n for n in geimporteerd(pad) if is_verboden(n)] == []


@pytest.mark.parametrize("pad", sorted(OPSLAG.glob("*.py")), ids=lambda p: p.name)
def test_a_storage_module_imports_nothing_from_the_writers_read_models_letters_or_prefect(pad):
    assert [n for n in geimporteerd(pad) if is_verboden(n, BOVEN_OPSLAG)] == []


def test_the_check_sees_a_forbidden_import(tmp_path):
    fout = tmp_path / "fout.py"
    fout.write_text("def f():\n    from sqlmodel import Session\n")
    assert [n for n in geimporteerd(fout) if is_verboden(n)] == ["sqlmodel", "sqlmodel.Session"]
