"""`coresponse adduser`, `coresponse token` and `coresponse unlock`."""

import io
import sys

import pytest
from django.core.management import CommandError, call_command

from coresponse.agencies import services
from coresponse.agencies.models import ApiToken, User
from coresponse.agencies.tests.accounts import build_accounts
from coresponse.privacy.models import AuditEvent


@pytest.fixture
def accounts(db):
    return build_accounts()


def run(*args, stdin: str | None = None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_adduser_reads_the_password_from_standard_input(accounts, monkeypatch):
    out, _ = run(
        "adduser",
        "cad-riverton",
        "--agency",
        "riverton-pd",
        "--role",
        "dispatcher",
        "--first-name",
        "Riverton",
        "--last-name",
        "CAD",
        stdin="a CAD bridge passphrase of some length\n",
        monkeypatch=monkeypatch,
    )
    assert out.strip() == "cad-riverton: Dispatcher / call-taker at Riverton Police Department"
    user = User.objects.get(username="cad-riverton")
    assert user.check_password("a CAD bridge passphrase of some length")
    assert user.password.startswith("argon2")
    assert user.get_full_name() == "Riverton CAD"
    event = AuditEvent.objects.get(action="account", object_type="user", object_id=str(user.pk))
    assert event.actor is None and "created" in event.detail


def test_adduser_lists_every_problem_and_creates_nothing(accounts, monkeypatch):
    with pytest.raises(CommandError) as caught:
        run(
            "adduser",
            "officer",
            "--agency",
            "atlantis-pd",
            "--role",
            "officer",
            stdin="short\n",
            monkeypatch=monkeypatch,
        )
    text = str(caught.value)
    assert text.startswith("no user created:\n")
    assert "no agency with id 'atlantis-pd' (known: cedar-bhc, cedar-so, riverton-pd)" in text
    assert "a user named 'officer' already exists" in text
    assert "password: This password is too short. It must contain at least 15 characters." in text
    with pytest.raises(CommandError, match="no password on standard input"):
        run(
            "adduser",
            "newbie",
            "--agency",
            "cedar-bhc",
            "--role",
            "clinician",
            stdin="",
            monkeypatch=monkeypatch,
        )
    with pytest.raises(CommandError, match="invalid choice: 'sheriff'"):
        run("adduser", "newbie", "--agency", "cedar-bhc", "--role", "sheriff")
    assert User.objects.count() == 3


def test_token_prints_a_token_that_authenticates(accounts):
    out, err = run("token", "officer", "--label", "CAD bridge")
    raw = out.strip()
    assert raw.startswith("crt_") and "\n" not in raw
    assert err.startswith("officer: token crt_") and "valid until" in err
    user, token = services.user_for_token(raw)
    assert user == accounts.users["officer"] and token.label == "CAD bridge"
    assert (token.expires_at - token.created_at).total_seconds() == 8 * 3600
    assert ApiToken.objects.get().digest != raw  # only the hash is kept

    out, _ = run("token", "officer", "--hours", "0.25")
    _, short = services.user_for_token(out.strip())
    assert (short.expires_at - short.created_at).total_seconds() == 900

    listing, _ = run("token", "officer", "--list")
    assert listing.count("valid until") == 2 and "'CAD bridge'" in listing
    revoked, _ = run("token", "officer", "--revoke-all")
    assert revoked.strip() == "officer: 2 tokens revoked"
    listing, _ = run("token", "officer", "--list")
    assert listing.count("revoked") == 2
    with pytest.raises(services.TokenRejected):
        services.user_for_token(raw)
    actions = list(
        AuditEvent.objects.filter(object_type="api_token").values_list("detail", flat=True)
    )
    assert len(actions) == 4 and sum("revoked" in a for a in actions) == 2


def test_token_refuses_what_it_cannot_give(accounts):
    with pytest.raises(CommandError, match="no user named 'ghost'"):
        run("token", "ghost")
    with pytest.raises(CommandError, match="at most 24 hours, not 48"):
        run("token", "officer", "--hours", "48")
    with pytest.raises(CommandError, match="more than 0"):
        run("token", "officer", "--hours", "0")
    User.objects.filter(username="deputy").update(is_active=False)
    with pytest.raises(CommandError, match="deputy is not active"):
        run("token", "deputy")
    assert not ApiToken.objects.exists()


def test_unlock_lifts_a_lockout(accounts):
    for _ in range(5):
        services.sign_in_failed("clinician")
    assert services.locked_until("clinician") is not None
    out, _ = run("unlock", "clinician")
    assert out.strip() == "clinician: unlocked"
    assert services.locked_until("clinician") is None
    out, _ = run("unlock", "clinician")
    assert out.strip() == "clinician: was not locked"
    with pytest.raises(CommandError, match="no user named"):
        run("unlock", "nobody")
