"""Artifacts in the Prefect UI that staff read: a new version only when its content changed, so a
run's Artifacts tab lists what changed, not one copy per step."""

from __future__ import annotations

from prefect import get_client
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey


def laatste_inhoud(sleutel: str) -> str | None:
    """The content of the latest version of the artifact with this key, if any."""
    with get_client(sync_client=True) as client:
        laatste = client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[sleutel])), limit=1,
        )
    return laatste[0].data if laatste else None


def markdown_als_gewijzigd(sleutel: str, markdown: str, omschrijving: str) -> bool:
    """Publish `markdown` under `sleutel` unless the latest version says the same. Returns
    whether a new version was made."""
    if laatste_inhoud(sleutel) == markdown:
        return False
    create_markdown_artifact(key=sleutel, markdown=markdown, description=omschrijving)
    return True
