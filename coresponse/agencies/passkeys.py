"""Passkeys (WebAuthn) as a second factor, with py_webauthn doing the cryptography.

Two ceremonies, each in two steps: the server makes options with a fresh challenge (kept in
the caller's session), the browser's `navigator.credentials.create()` / `.get()` answers, and
the server verifies the answer against that challenge, the relying party id and the origin.
The browser side is coresponse/web/static/web/passkeys.js.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from coresponse.agencies.models import Passkey, User
from coresponse.agencies.signals import announce

RP_NAME = "Coresponse"
TIMEOUT_MS = 120_000


class PasskeyError(Exception):
    """The browser's answer did not verify; the message says why, in words for the user."""


@dataclass(frozen=True)
class RelyingParty:
    """Who asks: the host name (the WebAuthn relying party id) and the page's origin."""

    id: str
    origin: str

    @classmethod
    def for_request(cls, request) -> RelyingParty:
        host = request.get_host()  # already checked against ALLOWED_HOSTS
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return cls(
            id=settings.CORESPONSE_WEBAUTHN_RP_ID or hostname.strip("[]"),
            origin=f"{request.scheme}://{host}",
        )


def _user_handle(user: User) -> bytes:
    """A stable, opaque id for the user inside their authenticator (never their name)."""
    return salted_hmac("coresponse.passkey.user", str(user.pk), algorithm="sha256").digest()


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    descriptors = []
    for credential_id, transports in Passkey.objects.filter(user=user).values_list(
        "credential_id", "transports"
    ):
        known = [AuthenticatorTransport(t) for t in transports if t in _TRANSPORTS]
        descriptors.append(
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(credential_id), transports=known or None
            )
        )
    return descriptors


_TRANSPORTS = {t.value for t in AuthenticatorTransport}


def registration_options(user: User, rp: RelyingParty) -> tuple[str, bytes]:
    """(options as JSON for navigator.credentials.create, the challenge to keep)."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=RP_NAME,
        user_name=user.username,
        user_id=_user_handle(user),
        user_display_name=user.get_full_name() or user.username,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    return options_to_json(options), options.challenge


@transaction.atomic
def register(
    user: User, rp: RelyingParty, credential: str | dict, challenge: bytes, name: str
) -> Passkey:
    """Verify the browser's answer to `registration_options` and keep the new passkey."""
    try:
        parsed = parse_registration_credential_json(
            credential if isinstance(credential, str) else json.dumps(credential)
        )
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except WebAuthnException as error:
        raise PasskeyError(f"The passkey could not be registered: {error}") from error
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        raise PasskeyError("This passkey is already registered.")
    passkey = Passkey.objects.create(
        user=user,
        name=(name.strip() or "Passkey")[:64],
        confirmed=True,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t.value for t in (parsed.response.transports or [])],
        aaguid=verified.aaguid,
        backed_up=verified.credential_backed_up,
    )
    announce(register, user, "user", user.pk, f"passkey {passkey.name!r} added")
    return passkey


def authentication_options(user: User, rp: RelyingParty) -> tuple[str, bytes]:
    """(options as JSON for navigator.credentials.get, the challenge to keep): any of the
    user's passkeys may answer."""
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), options.challenge


@transaction.atomic
def authenticate(user: User, rp: RelyingParty, credential: str | dict, challenge: bytes) -> Passkey:
    """Verify the browser's answer to `authentication_options`: the passkey that signed."""
    try:
        parsed = parse_authentication_credential_json(
            credential if isinstance(credential, str) else json.dumps(credential)
        )
    except WebAuthnException as error:
        raise PasskeyError("The passkey's answer could not be read.") from error
    passkey = (
        Passkey.objects.select_for_update()
        .filter(user=user, credential_id=bytes_to_base64url(parsed.raw_id), confirmed=True)
        .first()
    )
    if passkey is None:
        raise PasskeyError("That passkey is not registered to this account.")
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
    except WebAuthnException as error:
        # A signature that does not verify, another origin, or a sign count that went
        # backwards (a cloned authenticator) all end here.
        raise PasskeyError(f"The passkey could not be verified: {error}") from error
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "backed_up", "last_used_at"])
    return passkey
