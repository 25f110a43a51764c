"""`vt`: the command line of Veilig Thuis orkestratie.

Every command takes `--json` for machine-readable output. Bad input gives a Dutch error and
exit code 1, never a Python traceback. Prefect is only imported by the commands that run a flow.
Each area adds its commands in its own module, imported below.
"""

from cli.basis import app

from cli import audit, berichten, bewaartermijn, brieven, export, inloopplan, levensloop, meldingen, overstap, plustaken, rapport, termijnen_beheer, toegang  # noqa: E402,F401  (registers its commands on app)

__all__ = ["app"]
