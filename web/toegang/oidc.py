"""Log-in through the region's own OpenID Connect provider (authorization code flow, authlib).

The gateway sends the browser to the provider with a fresh `state` and `nonce`, exchanges the code
for tokens at the provider's token endpoint (server to server, with the client secret; authlib's
OAuth 2 client) and then checks the ID token itself (joserfc, authlib's JOSE successor): signature with the provider's published keys, issuer, audience (our
client id), expiry and nonce. A token that fails any check is refused; roles come from the claim
the settings name.
"""

from __future__ import annotations

import os
import secrets
import warnings

import httpx

import authlib.deprecate  # noqa: E402,F401  (sets its own "always" filter first; ours goes before it)

with warnings.catch_warnings():
    # authlib 1.9 announces a move to `httpx2`; until then its client runs on the httpx that
    # Prefect pins, one HTTP stack for the whole process.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from models.regels.instellingen import OidcInstellingen
from models.regels.toegang import Gebruiker, Rol


class OidcGeweigerd(Exception):
    """The provider's answer or its ID token cannot be trusted; the message is Dutch."""


class Oidc:
    def __init__(self, instellingen: OidcInstellingen) -> None:
        self.inst = instellingen
        self._metadata: dict | None = None
        self._sleutels = None

    def _client(self, terug_url: str | None = None) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.inst.client_id, client_secret=os.environ.get(self.inst.client_secret_variabele, ""),
            scope=self.inst.scopes, redirect_uri=terug_url, timeout=10,
        )

    async def metadata(self) -> dict:
        if self._metadata is None:
            async with httpx.AsyncClient(timeout=10) as client:
                antwoord = await client.get(self.inst.issuer.rstrip("/") + "/.well-known/openid-configuration")
                antwoord.raise_for_status()
                self._metadata = antwoord.json()
        return self._metadata

    async def sleutels(self, opnieuw: bool = False):
        if self._sleutels is None or opnieuw:
            async with httpx.AsyncClient(timeout=10) as client:
                antwoord = await client.get((await self.metadata())["jwks_uri"])
                antwoord.raise_for_status()
                self._sleutels = KeySet.import_key_set(antwoord.json())
        return self._sleutels

    async def begin(self, terug_url: str) -> tuple[str, str, str]:
        """(address at the provider, state, nonce): the gateway keeps state and nonce in a
        signed cookie until the browser comes back."""
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        async with self._client(terug_url) as client:
            url, _ = client.create_authorization_url((await self.metadata())["authorization_endpoint"],
                                                     state=state, nonce=nonce)
        return url, state, nonce

    async def terug(self, code: str, nonce: str, terug_url: str) -> Gebruiker:
        """Exchange the code and return the person of its checked ID token."""
        async with self._client(terug_url) as client:
            try:
                token = await client.fetch_token((await self.metadata())["token_endpoint"], code=code,
                                                 grant_type="authorization_code")
            except Exception as exc:  # the provider refused the code: expired, reused, other client
                raise OidcGeweigerd("De identity provider weigerde de inlogcode.") from exc
        if "id_token" not in token:
            raise OidcGeweigerd("De identity provider gaf geen ID-token.")
        return await self.controleer(token["id_token"], nonce)

    async def controleer(self, id_token: str, nonce: str | None) -> Gebruiker:
        """The person of `id_token` once its signature, issuer, audience, expiry and nonce hold."""
        claims = await self._claims(id_token, nonce)
        return self.gebruiker(claims)

    async def _claims(self, id_token: str, nonce: str | None) -> dict:
        for poging in (1, 2):  # once more with fresh keys: the provider may have rotated them
            try:
                token = jwt.decode(id_token, await self.sleutels(opnieuw=poging == 2), algorithms=["RS256", "ES256", "PS256"])
                break
            except JoseError as exc:
                if poging == 2:
                    raise OidcGeweigerd(_reden(exc)) from exc
        regels = jwt.JWTClaimsRegistry(
            leeway=0, iss={"essential": True, "value": self.inst.issuer.rstrip("/")},
            aud={"essential": True, "value": self.inst.client_id}, exp={"essential": True},
            sub={"essential": True}, **({"nonce": {"essential": True, "value": nonce}} if nonce is not None else {}),
        )
        try:
            regels.validate(token.claims)
        except JoseError as exc:
            raise OidcGeweigerd(_reden(exc)) from exc
        return dict(token.claims)

    def gebruiker(self, claims: dict) -> Gebruiker:
        account = claims.get(self.inst.account_claim) or claims["sub"]
        waarden = claims.get(self.inst.rollen_claim) or []
        if isinstance(waarden, str):
            waarden = waarden.split()
        rollen = set()
        for waarde in waarden:
            if waarde in self.inst.rollen:
                rollen.add(self.inst.rollen[waarde])
            elif waarde in Rol._value2member_map_:
                rollen.add(Rol(waarde))
        if not rollen:
            raise OidcGeweigerd("Uw account heeft bij de identity provider geen rol in dit systeem. "
                                "Vraag beheer om u een rol te geven.")
        gemeente = claims.get(self.inst.gemeente_claim)
        if Rol.gemeente in rollen and not gemeente:
            raise OidcGeweigerd("Uw account heeft de rol gemeente, maar de identity provider noemt geen gemeente.")
        return Gebruiker(account=str(account), naam=str(claims.get(self.inst.naam_claim) or account),
                         rollen=frozenset(rollen), gemeente=gemeente)


def _reden(exc: JoseError) -> str:
    if isinstance(exc, ExpiredTokenError):
        return "Het ID-token van de identity provider is verlopen."
    if getattr(exc, "claim", None) == "aud":
        return "Het ID-token is niet voor dit systeem bedoeld (verkeerde audience)."
    if getattr(exc, "claim", None) == "nonce":
        return "Het ID-token hoort niet bij deze inlogpoging (nonce klopt niet)."
    return "Het ID-token van de identity provider is ongeldig."
