"""A bare HTTP client for the field app's API against the live server, signed in the way the
app is: a session cookie, and the CSRF token the profile hands out sent with every write."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


class Phone:
    """What the field app on a phone sends: cookies, X-CSRFToken, Idempotency-Key."""

    def __init__(self, live_server, user=None):
        parts = urlsplit(live_server.url)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        if user is not None:
            client = Client()
            client.force_login(user)
            self.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[
                settings.SESSION_COOKIE_NAME
            ].value
            profile = self("GET", "/api/v1/field/profile/")
            assert profile.status == 200, profile.body
            self.csrf = profile.json["csrf_token"]

    def __call__(self, method, path, body=None, key=None, headers=None) -> Reply:
        sent = {"Accept": "application/json", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            sent["Content-Type"] = "application/json"
        if method != "GET" and self.csrf:
            sent["X-CSRFToken"] = self.csrf
        if key:
            sent["Idempotency-Key"] = key
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return reply
