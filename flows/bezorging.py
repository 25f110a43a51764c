"""Delivery of queued messages: every minute, everything due is sent; what failed before is
retried with backoff until it arrives or is escalated."""

from __future__ import annotations

from prefect import flow

from tasks.bezorging import BezorgResultaat, bezorg_notificaties


@flow(name="berichten-bezorgen", log_prints=False)
def berichten_bezorgen() -> BezorgResultaat:
    return bezorg_notificaties()
