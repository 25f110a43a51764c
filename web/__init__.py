"""The web front of the system: the gateway every browser request passes (`web.toegang`: log-in,
sessions, roles, the Prefect UI and API behind it) and the dossier pages (`web.dossier`)."""
