"""One TLS context for every Prefect API client of a process (the forkserver's runs share it)."""

from __future__ import annotations


def een_tls_context() -> None:
    """Prefect 3.8.8 builds a TLS context for every API client it creates, also for a plain
    http:// API (`ssl.create_default_context(cafile=certifi)`: 20-30 ms of CPU, loading ~150
    certificates), and a run creates five (its context, the event and log workers, the suspend
    observer, the hydrated context). A verifying context is read-only once made, so every client
    of a forked run shares the one made here (per CA file). A CA file replaced on disk is read
    again when the serving process restarts. tests/test_prefect_smoke.py fails when Prefect's
    client code this relies on changes."""
    import ssl

    import prefect.client.orchestration as orchestration

    gemaakt: dict[str, ssl.SSLContext] = {}

    class _Ssl:  # the `ssl` module as Prefect's client module sees it
        def __getattr__(self, naam):
            return getattr(ssl, naam)

        @staticmethod
        def create_default_context(*args, cafile=None, **kwargs):
            if args or kwargs or cafile is None:  # the insecure context is changed after it is made
                return ssl.create_default_context(*args, cafile=cafile, **kwargs)
            if cafile not in gemaakt:
                gemaakt[cafile] = ssl.create_default_context(cafile=cafile)
            return gemaakt[cafile]

    orchestration.ssl = _Ssl()
    # Made now, before the runs are forked: as Prefect picks the CA file.
    _Ssl.create_default_context(cafile=orchestration.PREFECT_API_SSL_CERT_FILE.value() or orchestration.certifi.where())
