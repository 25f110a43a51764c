"""Run the gateway:  python -m web.toegang --host 127.0.0.1 --port 4200 --prefect http://127.0.0.1:4201

The Prefect server's credential comes from PREFECT_SERVER_API_AUTH_STRING (the same variable the
server reads); the case store and the settings file from DATABASE_URL / VT_INSTELLINGEN as for
every other part; the key that signs its cookies from VT_POORT_GEHEIM or the file
<VT_DATA_MAP>/toegangspoort.geheim (made at the first start): the same for every gateway of the
region, so that any of them honours a session another one began (web.toegang.sessies). TLS: either here (--ssl-certfile/--ssl-keyfile) or by a proxy in front that
sets X-Forwarded-Proto (--forwarded-allow-ips names it); either way session cookies are Secure.
"""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from models.opslag.db import maak_engine
    from models.lezen.rapportarchief import RAPPORTMAP
    from models.regels.instellingen import Omgeving, instellingen
    from web.toegang import maak_app
    from web.toegang.sessies import gedeeld_geheim

    parser = argparse.ArgumentParser(description="De toegangspoort: inloggen, en daarachter Prefect en de dossiers.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4200)
    parser.add_argument("--prefect", required=True, help="Adres van de Prefect-server (intern), bijv. http://127.0.0.1:4201")
    parser.add_argument("--https", action="store_true", help="Cookies altijd Secure (TLS in een proxy ervoor).")
    parser.add_argument("--ssl-certfile")
    parser.add_argument("--ssl-keyfile")
    parser.add_argument("--forwarded-allow-ips", default="127.0.0.1",
                        help="Proxy's waarvan X-Forwarded-For/-Proto vertrouwd wordt.")
    argumenten = parser.parse_args(argv)
    omgeving = Omgeving()
    app = maak_app(
        engine=maak_engine(omgeving.database_url), instellingen=instellingen(streng=True),
        prefect_url=argumenten.prefect, auth_string=os.environ.get("PREFECT_SERVER_API_AUTH_STRING"),
        geheim=gedeeld_geheim(omgeving.poort_geheim, omgeving.data_map),
        https=argumenten.https, rapporten=omgeving.data_map / RAPPORTMAP,
    )
    uvicorn.run(app, host=argumenten.host, port=argumenten.port, ssl_certfile=argumenten.ssl_certfile,
                ssl_keyfile=argumenten.ssl_keyfile, proxy_headers=True,
                forwarded_allow_ips=argumenten.forwarded_allow_ips, log_level="warning", ws="websockets-sansio")


if __name__ == "__main__":
    main()
