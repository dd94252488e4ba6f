"""Shared pieces of the API tests: clients for each audience and small helpers (no tests here)."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from profiles.accounts.roles import assign_role
from profiles.accounts.tokens import create_token

from tests.factories import MembershipFactory, UserFactory

API = "/api/v1"


def client_with_token(key=None):
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def user_with_role(role, **kwargs):
    return assign_role(UserFactory(**kwargs), role)


def token_client(role):
    """(client authenticated by a fresh token, user) for an analyst, editor or member."""
    user = user_with_role(role)
    _token, key = create_token(user=user, name=f"{role} test token")
    return client_with_token(key), user


@pytest.fixture(autouse=True)
def fresh_throttle_counts(settings):
    """No rate limits unless a test sets some; they count in the cache, so it starts empty."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def member():
    client = APIClient()
    client.force_login(MembershipFactory().user)
    return client


@pytest.fixture
def analyst():
    return token_client("analyst")[0]


@pytest.fixture
def editor():
    return token_client("editor")[0]


def error_of(response):
    """The error object of a response, after checking it has the one error shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body
    return body["error"]
