"""Prefect flows: each composes tasks into one protocol step; no SQL, no string formatting."""
