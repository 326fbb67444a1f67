"""The API's bearer tokens: `Authorization: Bearer <token>` with a token from `coresponse token`.

An unknown, expired or revoked token answers 401 with `WWW-Authenticate: Bearer`, like no
token at all; the browser keeps its session authentication (settings.REST_FRAMEWORK).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from coresponse.agencies import services

KEYWORD = "Bearer"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: another scheme, or none (then the session may answer)
        if len(parts) != 2:
            raise AuthenticationFailed("Send `Authorization: Bearer <token>`, one token.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        try:
            return services.user_for_token(raw)
        except services.TokenRejected as rejected:
            raise AuthenticationFailed(str(rejected)) from None

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Declares the scheme in the OpenAPI document (drf-spectacular finds it on import)."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from `coresponse token USERNAME` (it expires "
            "after a few hours; docs/api.md).",
        }
