"""Account events, for the audit chain.

`agencies` is the ground layer and cannot import `privacy`, which keeps the chain; so its
account services announce each change here and the shell (`coresponse.web.apps`) writes every
announcement to the chain, inside the same transaction as the change (signals are synchronous).
Django's own `user_logged_in`, `user_logged_out` and `user_login_failed` are recorded the same
way.
"""

from django.dispatch import Signal

# send(sender, actor=User|None, action="account", object_type="user"|"api_token"|...,
#      object_id=..., detail="...")
account_event = Signal()


def announce(sender, actor, object_type: str, object_id, detail: str) -> None:
    account_event.send(
        sender,
        actor=actor,
        action="account",
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )
