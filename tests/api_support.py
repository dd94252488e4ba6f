"""Helpers of the API tests (no tests, no fixtures: those are in tests/conftest.py)."""

from rest_framework.test import APIClient

from profiles.accounts.tokens import create_token
from tests.factories import user_with_role

API = "/api/v1"


def client_with_token(key=None):
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def token_client(role):
    """(client authenticated by a fresh token, user) for an analyst, editor or member."""
    user = user_with_role(role)
    _token, key = create_token(user=user, name=f"{role} test token")
    return client_with_token(key), user


def error_of(response):
    """The error object of a response, after checking it has the one error shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body
    return body["error"]
