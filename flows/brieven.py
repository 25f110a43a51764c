"""Delivery of letters to families and melders: every five minutes, each due letter goes to the
print queue or by e-mail; a failed delivery is retried with backoff until it succeeds or, after
the configured attempts, is escalated to staff. Never dropped, never sent twice."""

from __future__ import annotations

from prefect import flow

from tasks.bezorging import BezorgResultaat
from tasks.brieven import bezorg_brieven


@flow(name="brieven-bezorgen", log_prints=False)
def brieven_bezorgen() -> BezorgResultaat:
    return bezorg_brieven()
