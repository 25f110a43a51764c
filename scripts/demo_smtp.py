"""Local demo SMTP sink: accepts every message on 127.0.0.1:8025 and stores it as an .eml file.

Started by ./start.sh; the demo settings (config/demo-regio.yaml) send all e-mail here.
Nothing leaves the machine. The folder is 0700 and each mail 0600: only this user reads them.
Open a stored mail with any mail client, or read it as text.

    .venv/bin/python scripts/demo_smtp.py [--map .vt/mail] [--host 127.0.0.1] [--port 8025]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import os
import signal
import sys
import threading
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller

REPO_ROOT = Path(__file__).resolve().parent.parent


class OpslaanHandler:
    """aiosmtpd handler: write each received message to `<map>/<timestamp>-<id>.eml`."""

    def __init__(self, map_: Path) -> None:
        # The demo mail holds letters (PDFs with names and addresses): for this user only.
        self.map = map_
        self.map.mkdir(parents=True, exist_ok=True)
        self.map.chmod(0o700)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        nu = dt.datetime.now()
        bestand = self.map / f"{nu:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        inhoud = envelope.content
        if isinstance(inhoud, str):
            inhoud = inhoud.encode("utf-8")
        with open(os.open(bestand, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(inhoud)
        bericht = email.message_from_bytes(inhoud, policy=email.policy.default)
        onderwerp = bericht.get("Subject", "(geen onderwerp)")
        aan = ", ".join(envelope.rcpt_tos)
        print(
            f"{nu:%Y-%m-%d %H:%M:%S} mail opgeslagen: {bestand} | onderwerp: {onderwerp} | aan: {aan}",
            flush=True,
        )
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--map", type=Path, default=REPO_ROOT / ".vt" / "mail")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args(argv)

    controller = Controller(OpslaanHandler(args.map), hostname=args.host, port=args.port)
    controller.start()
    print(
        f"Demo-SMTP luistert op {args.host}:{args.port}; mail wordt opgeslagen in {args.map.resolve()}",
        flush=True,
    )

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    finally:
        controller.stop()
        print("Demo-SMTP gestopt", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
