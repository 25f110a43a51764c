"""Artifacts staff read in the Prefect UI: a new version only when the content changed, so a
run's Artifacts tab shows what changed and not one copy of the casus overview per step."""

from __future__ import annotations

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from tasks.artefacten import markdown_als_gewijzigd


def versies(sleutel: str) -> list[str]:
    with get_client(sync_client=True) as client:
        return [a.data for a in client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[sleutel])))]


@pytest.mark.prefect
def test_an_unchanged_overview_adds_no_version_and_a_changed_one_does():
    @flow
    def stappen() -> list[bool]:
        return [markdown_als_gewijzigd("casus-vt-2026-000999", tekst, "Casus VT-2026-000999")
                for tekst in ("# stap 1", "# stap 1", "# stap 1", "# stap 2", "# stap 2")]

    assert stappen() == [True, False, False, True, False]
    assert sorted(versies("casus-vt-2026-000999")) == ["# stap 1", "# stap 2"]
