"""OIDC sign-in against a real OpenID provider started here.

The provider is built with authlib's server side (Flask integration, the
OpenID Connect authorization-code grant, RS256 ID tokens, discovery and JWKS)
and served over real HTTP by werkzeug on a free localhost port; the console's
authlib client talks to it exactly as it would to the province's IdP.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify
from joserfc.jwk import RSAKey
from sqlalchemy import select
from werkzeug.serving import make_server

from leadermail.app import create_app
from leadermail.platform.accounts.models import Role, User
from leadermail.platform.accounts.services import create_user, grant_role
from leadermail.platform.context import AppContext
from tests.functional.console.staff_session import console_url
from tests.functional.console.test_signin import clear_login_limits  # noqa: F401 - autouse
from tests.functional.staff_ops.helpers import free_port

CLIENT_ID, CLIENT_SECRET = "leadermail-console", "s3cret-" + "x" * 20


@dataclass
class Client:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in {"openid", "email", "profile"})

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri.startswith("http://testserver/")

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    redirect_uri: str
    scope: str
    user: dict[str, Any]
    nonce: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class Provider:
    """The IdP; ``user`` is whoever is "signed in" at the provider right now."""

    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
        self.codes: dict[str, Code] = {}
        self.user: dict[str, Any] = {}
        self.app = self._build()

    def _build(self) -> Flask:
        provider = self
        app = Flask("test-idp")

        class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, request: Any) -> None:
                provider.codes[code] = Code(
                    code,
                    request.payload.redirect_uri,
                    request.payload.scope,
                    request.user,
                    request.payload.data.get("nonce"),
                )

            def query_authorization_code(self, code: str, client: Any) -> Code | None:
                return provider.codes.get(code)

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
                return authorization_code.user

        class Oidc(OpenIDCode):
            def exists_nonce(self, nonce: str, request: Any) -> bool:
                return False

            def resolve_client_private_key(self, client: Any) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: Any) -> str:
                return "RS256"

            def get_encode_header(self, client: Any) -> dict[str, str]:
                return {"alg": "RS256", "kid": "k1"}

            def get_client_claims(self, client: Any) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [client.get_client_id()]}

            def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
                return UserInfo(**user)

        server = AuthorizationServer(
            app,
            query_client=lambda client_id: Client() if client_id == CLIENT_ID else None,
            save_token=lambda token, request: None,
        )
        server.register_grant(AuthorizationCodeGrant, [Oidc(require_nonce=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():  # noqa: ANN202
            return jsonify(
                {
                    "issuer": provider.issuer,
                    "authorization_endpoint": provider.issuer + "/authorize",
                    "token_endpoint": provider.issuer + "/token",
                    "jwks_uri": provider.issuer + "/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            )

        @app.get("/jwks")
        def jwks():  # noqa: ANN202
            return jsonify({"keys": [provider.key.as_dict(private=False)]})

        @app.get("/authorize")
        def authorize():  # noqa: ANN202
            # A real IdP shows a consent page first (get_consent_grant); this one
            # has already "signed in" ``provider.user`` and consents for them.
            grant = server.get_consent_grant(end_user=dict(provider.user))
            return server.create_authorization_response(grant_user=dict(provider.user), grant=grant)

        @app.post("/token")
        def token():  # noqa: ANN202
            return server.create_token_response()

        return app


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    idp = Provider()
    server = make_server("127.0.0.1", idp.port, idp.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield idp
    server.shutdown()
    thread.join(5)


@pytest.fixture
async def oidc_client(context: AppContext, provider: Provider):  # noqa: ANN201
    settings = replace(
        context.settings,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
    )
    oidc_context = AppContext(
        settings=settings, database=context.database, tenants=context.tenants, redis=context.redis
    )
    app = create_app(context=oidc_context)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


async def oidc_round_trip(client: httpx.AsyncClient, tenant) -> httpx.Response:
    start = await client.get(console_url(tenant, "/login/oidc"))
    assert start.status_code == 302, start.text
    authorize_url = start.headers["location"]
    async with httpx.AsyncClient() as browser:  # real HTTP to the provider
        at_idp = await browser.get(authorize_url)
    assert at_idp.status_code == 302, at_idp.text
    back = urlsplit(at_idp.headers["location"])
    assert back.netloc == "testserver"
    return await client.get(back.path + "?" + back.query)


async def staff_user(context, tenant, email: str, role=Role.LEADER) -> int:
    async with context.database.core_session() as session:
        user = await create_user(session, email=email, display_name="刘领导")
        await grant_role(session, user_id=user.id, tenant_id=tenant.id, role=role)
        await session.commit()
    return user.id


async def test_verified_email_links_a_registered_staff_user_once(
    context, make_tenant, provider, oidc_client
):
    tenant = await make_tenant()
    email = f"{uuid.uuid4().hex[:8]}@gov.example.cn"
    user_id = await staff_user(context, tenant, email)
    subject = uuid.uuid4().hex
    provider.user = {
        "sub": subject,
        "email": email.upper(),
        "email_verified": True,
        "name": "刘领导",
    }
    done = await oidc_round_trip(oidc_client, tenant)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == console_url(tenant, "/inbox")
    assert (await oidc_client.get(console_url(tenant, "/inbox"))).status_code == 200
    async with context.database.core_session() as session:
        user = await session.get(User, user_id)
    assert (user.oidc_issuer, user.oidc_subject) == (provider.issuer, subject)

    # Next time the (issuer, sub) pair decides, whatever the e-mail says now.
    oidc_client.cookies.clear()
    provider.user = {"sub": subject, "email": "changed@elsewhere.cn", "email_verified": False}
    again = await oidc_round_trip(oidc_client, tenant)
    assert again.status_code == 303


@pytest.mark.parametrize(
    "claims",
    [
        {"email_verified": False},  # the IdP does not vouch for the address
        {"email": "nobody-registered@gov.example.cn", "email_verified": True},
    ],
)
async def test_no_account_is_created_or_linked_without_a_verified_registered_email(
    context, make_tenant, provider, oidc_client, claims
):
    tenant = await make_tenant()
    email = f"{uuid.uuid4().hex[:8]}@gov.example.cn"
    await staff_user(context, tenant, email)
    provider.user = {"sub": uuid.uuid4().hex, "email": email, **claims}
    refused = await oidc_round_trip(oidc_client, tenant)
    assert refused.status_code == 403
    assert "尚未与工作台账号关联" in refused.text
    async with context.database.core_session() as session:
        linked = (
            await session.execute(select(User.id).where(User.oidc_subject == provider.user["sub"]))
        ).first()
    assert linked is None
    assert (await oidc_client.get(console_url(tenant, "/inbox"))).status_code == 303


async def test_a_user_without_membership_in_this_tenant_is_refused(
    context, make_tenant, provider, oidc_client
):
    tenant, other = await make_tenant(), await make_tenant()
    email = f"{uuid.uuid4().hex[:8]}@gov.example.cn"
    await staff_user(context, other, email)
    provider.user = {"sub": uuid.uuid4().hex, "email": email, "email_verified": True}
    refused = await oidc_round_trip(oidc_client, tenant)
    assert refused.status_code == 403
    assert (await oidc_client.get(console_url(tenant, "/inbox"))).status_code == 303
