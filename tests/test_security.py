"""Production settings, sign-in lock-out, password rules and the audit log of security events."""

import json
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from profiles.accounts import tokens
from profiles.accounts.roles import assign_role
from profiles.models import Membership, ProfileStatus, SecurityEvent, SecurityEventKind
from profiles.services import publishing
from tests.factories import MembershipFactory, ProfileFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-test-password"
Kind = SecurityEventKind


# --- production settings ----------------------------------------------------------------------


# Set by the test run itself (the browser tests allow sync database calls from their event loop).
NOT_IN_PRODUCTION = {"DEBUG", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def run_in_production(args, **env_changes):
    env = {key: value for key, value in os.environ.items() if key not in NOT_IN_PRODUCTION}
    env.update(
        DJANGO_SETTINGS_MODULE="registry.settings",
        PRODUCTION="1",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="registry.example.org",
    )
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_reports_nothing_in_production():
    result = run_in_production(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"])
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must name"),
        ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS must name"),
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short-key"}, "SECRET_KEY must be a random value"),
        ({"SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)}, "SECRET_KEY must be a random value"),
        ({"DEBUG": "1"}, "DEBUG must be off"),
    ],
)
def test_production_refuses_to_start_when_misconfigured(changes, message):
    result = run_in_production(["manage.py", "check"], **changes)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


HEADERS_SCRIPT = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="registry.example.org")
plain = client.get("/robots.txt")
secure = client.get("/robots.txt", secure=True)
print(json.dumps({"plain": [plain.status_code, plain.get("Location")], "headers": dict(secure.headers)}))
"""


def test_production_redirects_to_https_and_sends_the_security_headers():
    result = run_in_production(["-c", HEADERS_SCRIPT])
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["plain"] == [301, "https://registry.example.org/robots.txt"]
    headers = answer["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


def test_check_deploy_does_warn_without_production_so_the_switch_matters():
    result = run_in_production(["manage.py", "check", "--deploy"], PRODUCTION=None)
    assert "security.W004" in result.stderr + result.stdout  # no HSTS
    assert "security.W008" in result.stderr + result.stdout  # no HTTPS redirect


def test_production_session_and_csrf_cookies_are_https_only():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE, "
        "s.CSRF_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.DEBUG]))"
    )
    result = run_in_production(["-c", script])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, True, True, True, True, False]


@pytest.mark.parametrize("value, proxies", [(None, 0), ("", 0), ("1", 1), ("2", 2)])
def test_num_proxies_comes_from_the_environment_and_trusts_no_forwarded_header_by_default(value, proxies):
    script = "import django; django.setup(); from rest_framework.settings import api_settings as s; print(s.NUM_PROXIES)"
    result = run_in_production(["-c", script], NUM_PROXIES=value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(proxies)


# --- sign-in lock-out ---------------------------------------------------------------------------

def post_login(client, username, password, url="/accounts/login/", next_url="/en/", ip="192.0.2.10"):
    return client.post(url, {"username": username, "password": password, "next": next_url}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_site_login_works_and_a_wrong_password_is_an_ordinary_form_error():
    UserFactory(username="reader")
    client = Client()
    response = post_login(client, "reader", "wrong")
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()
    response = post_login(client, "reader", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/en/"


@pytest.mark.django_db
def test_site_login_locks_out_after_five_failures_even_with_the_right_password(settings):
    UserFactory(username="reader")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_login(client, "reader", "wrong").status_code == 200
    locked = post_login(client, "reader", "wrong")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert locked["Retry-After"] == "900"
    assert "blocked for 15 minutes" in locked.content.decode()
    again = post_login(client, "reader", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address, or another account from this one, is not affected.
    assert post_login(Client(), "reader", PASSWORD, ip="198.51.100.7").status_code == 302


@pytest.mark.django_db
def test_lockout_page_speaks_chinese_for_a_chinese_page():
    UserFactory(username="reader")
    client = Client()
    for _ in range(5):
        response = post_login(client, "reader", "wrong", next_url="/zh-hans/")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "从您的地址登录此账户已被暂停 15 分钟" in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_admin_login_locks_out_too_with_a_clear_page_not_an_error():
    UserFactory(username="analyst", is_staff=True)
    client = Client()
    for _ in range(4):
        assert post_login(client, "analyst", "wrong", url="/admin/login/", next_url="/admin/").status_code == 200
    locked = post_login(client, "analyst", "wrong", url="/admin/login/", next_url="/admin/")
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.content.decode()
    assert post_login(client, "analyst", PASSWORD, url="/admin/login/", next_url="/admin/").status_code == 429
    assert client.get("/admin/").status_code == 302  # still not signed in
    chinese = client.post("/admin/login/", {"username": "analyst", "password": "wrong"}, REMOTE_ADDR="192.0.2.10",
                          HTTP_ACCEPT_LANGUAGE="zh-hans")  # fmt: skip
    assert chinese.status_code == 429 and "登录失败次数过多" in chinese.content.decode()


@pytest.mark.django_db
def test_a_new_x_forwarded_for_on_each_attempt_does_not_escape_the_lockout():
    UserFactory(username="reader")
    client = Client()
    for n in range(5):
        client.post("/accounts/login/", {"username": "reader", "password": "wrong"}, REMOTE_ADDR="192.0.2.10",
                    HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")  # fmt: skip
    response = client.post("/accounts/login/", {"username": "reader", "password": PASSWORD}, REMOTE_ADDR="192.0.2.10",
                           HTTP_X_FORWARDED_FOR="198.51.100.99")  # fmt: skip
    assert response.status_code == 429


@pytest.mark.django_db
def test_behind_one_trusted_proxy_a_lockout_is_for_the_forwarded_client_only(settings):
    """NUM_PROXIES is one setting for the lock-out and the API's rate limits: both see the same address."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    UserFactory(username="reader")

    def sign_in(password, client_address):
        return Client().post("/accounts/login/", {"username": "reader", "password": password, "next": "/en/"},
                             REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_address)  # fmt: skip

    for _ in range(5):
        sign_in("wrong", "198.51.100.1")
    assert sign_in(PASSWORD, "198.51.100.1").status_code == 429
    assert sign_in(PASSWORD, "198.51.100.2").status_code == 302  # another client behind the same proxy
    assert {event.ip for event in events(Kind.LOCKOUT)} == {"198.51.100.1"}  # the audit log names the client


@pytest.mark.django_db
def test_a_lockout_ends_after_the_cool_off_time(settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    UserFactory(username="reader")
    client = Client()
    for _ in range(5):
        post_login(client, "reader", "wrong")
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert post_login(client, "reader", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_success_resets_the_failure_count():
    UserFactory(username="reader")
    client = Client()
    for _ in range(4):
        post_login(client, "reader", "wrong")
    assert post_login(client, "reader", PASSWORD).status_code == 302
    for _ in range(4):
        assert post_login(Client(), "reader", "wrong").status_code == 200


# --- passwords --------------------------------------------------------------------------------


def change_password(client, old, new):
    return client.post(
        "/accounts/password_change/", {"old_password": old, "new_password1": new, "new_password2": new}
    )


@pytest.mark.django_db
def test_changing_the_password_ends_the_users_other_sessions_but_not_this_one():
    user = UserFactory(username="reader")
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)
    response = change_password(here, PASSWORD, "another-long-passphrase-42")
    assert response.status_code == 302
    assert here.get("/accounts/password_change/").status_code == 200
    assert elsewhere.get("/accounts/password_change/").status_code == 302  # sent to the login page
    assert "_auth_user_id" not in elsewhere.session
    event = SecurityEvent.objects.get(kind=Kind.PASSWORD_CHANGED)
    assert event.user == user and event.actor == user
    assert "another-long-passphrase-42" not in json.dumps(event.detail)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "new_password, error",
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("4815162342108", "entirely numeric"),
        ("reader12", "too similar"),
    ],
)
def test_weak_passwords_are_refused(new_password, error):
    user = UserFactory(username="reader")
    client = Client()
    client.force_login(user)
    response = change_password(client, PASSWORD, new_password)
    assert response.status_code == 200
    assert error in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not SecurityEvent.objects.filter(kind=Kind.PASSWORD_CHANGED).exists()


# --- audit log ---------------------------------------------------------------------------------


def events(kind):
    return list(SecurityEvent.objects.filter(kind=kind).order_by("id"))


@pytest.mark.django_db
def test_sign_in_failure_lockout_and_sign_out_are_logged_with_address_and_without_the_password():
    user = UserFactory(username="reader")
    client = Client()
    post_login(client, "reader", "my-secret-guess")
    post_login(client, "nobody", "another-secret-guess")
    post_login(client, "reader", PASSWORD)
    client.post("/accounts/logout/", REMOTE_ADDR="192.0.2.10")
    failed = events(Kind.LOGIN_FAILED)
    assert [(e.user, e.detail["username"], e.ip) for e in failed] == [
        (user, "reader", "192.0.2.10"),
        (None, "nobody", "192.0.2.10"),
    ]
    [login] = events(Kind.LOGIN)
    assert (login.user, login.actor, login.ip) == (user, user, "192.0.2.10")
    [logout] = events(Kind.LOGOUT)
    assert logout.user == user
    everything = json.dumps([e.detail for e in SecurityEvent.objects.all()])
    assert "secret-guess" not in everything and PASSWORD not in everything


@pytest.mark.django_db
def test_a_lockout_is_logged():
    user = UserFactory(username="reader")
    client = Client()
    for _ in range(5):
        post_login(client, "reader", "wrong")
    [lockout] = events(Kind.LOCKOUT)
    assert (lockout.user, lockout.detail["username"], lockout.ip) == (user, "reader", "192.0.2.10")


@pytest.mark.django_db
def test_role_changes_are_logged_with_what_was_added_and_removed():
    user = UserFactory(username="colleague")
    assign_role(user, "analyst")
    assign_role(user, "editor")
    changes = [e.detail for e in events(Kind.ROLE_CHANGED)]
    assert changes == [
        {"is_staff": [False, True]},
        {"added": ["Analysts"]},
        {"removed": ["Analysts"]},
        {"added": ["Editors"]},
    ]


@pytest.mark.django_db
def test_staff_and_superuser_flag_changes_in_the_admin_are_logged_with_the_actor():
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    user = UserFactory(username="colleague")
    client = Client()
    client.force_login(boss)
    SecurityEvent.objects.all().delete()
    url = f"/admin/auth/user/{user.pk}/change/"
    page = client.get(url)
    data = {
        "username": "colleague", "is_active": "on", "is_staff": "on", "is_superuser": "on",
        "date_joined_0": page.context["adminform"].form["date_joined"].value().strftime("%Y-%m-%d"),
        "date_joined_1": "00:00:00", "initial-date_joined_0": "", "initial-date_joined_1": "",
    }  # fmt: skip
    response = client.post(url, data, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    [event] = events(Kind.ROLE_CHANGED)
    assert event.user == user and event.actor == boss and event.ip == "203.0.113.5"
    assert event.detail == {"is_staff": [False, True], "is_superuser": [False, True]}


@pytest.mark.django_db
def test_creating_a_staff_or_superuser_account_is_logged_but_not_an_ordinary_one():
    UserFactory(username="reader")
    staff = UserFactory(username="new-staff", is_staff=True)
    root = get_user_model().objects.create_superuser("new-root", password="another-long-passphrase-42")
    logged = [(e.user, e.detail) for e in events(Kind.ROLE_CHANGED)]
    assert logged == [
        (staff, {"created": True, "is_staff": [False, True]}),
        (root, {"created": True, "is_staff": [False, True], "is_superuser": [False, True]}),
    ]


@pytest.mark.django_db
def test_group_membership_changed_from_the_groups_side_is_logged():
    user = UserFactory(username="colleague")
    group = Group.objects.create(name="Reviewers")
    group.user_set.add(user)
    group.user_set.remove(user)
    assert [e.detail for e in events(Kind.ROLE_CHANGED)] == [{"added": ["Reviewers"]}, {"removed": ["Reviewers"]}]


@pytest.mark.django_db
def test_membership_creation_change_and_deletion_are_logged():
    membership = MembershipFactory(tier="standard")
    membership.tier = "premium"
    membership.save()
    membership.delete()
    logged = events(Kind.MEMBERSHIP_CHANGED)
    assert [(e.detail["change"], e.detail["tier"], e.user) for e in logged] == [
        ("created", "standard", membership.user),
        ("changed", "premium", membership.user),
        ("deleted", "premium", membership.user),
    ]
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_publishing_and_unpublishing_are_logged_but_not_every_workflow_step():
    editor = assign_role(UserFactory(username="editor"), "editor")
    profile = ProfileFactory(status=ProfileStatus.IN_REVIEW)
    publishing.transition(profile, ProfileStatus.PUBLISHED, actor=editor)
    publishing.transition(profile, ProfileStatus.DRAFT, actor=editor)
    publishing.transition(profile, ProfileStatus.IN_REVIEW, actor=editor)
    logged = events(Kind.PUBLICATION)
    assert [(e.actor, e.detail["slug"], e.detail["from_status"], e.detail["to_status"]) for e in logged] == [
        (editor, profile.slug, "in_review", "published"),
        (editor, profile.slug, "published", "draft"),
    ]


@pytest.mark.django_db
def test_token_creation_and_revocation_are_logged_without_the_key():
    user = UserFactory(username="analyst")
    token, key = tokens.create_token(user=user, name="sync job")
    tokens.revoke_token(token=token)
    tokens.revoke_token(token=token)  # revoking again changes nothing and logs nothing
    created, revoked = events(Kind.TOKEN_CREATED), events(Kind.TOKEN_REVOKED)
    assert len(created) == 1 and len(revoked) == 1
    assert created[0].detail == {"token": token.pk, "prefix": token.prefix, "name": "sync job"}
    assert key not in json.dumps([e.detail for e in SecurityEvent.objects.all()])
    assert key[len(token.prefix):] not in str(created[0])


@pytest.mark.django_db
def test_token_created_in_the_admin_records_who_created_it():
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    user = UserFactory(username="analyst")
    client = Client()
    client.force_login(boss)
    response = client.post("/admin/profiles/apitoken/add/", {"user": user.pk, "name": "from the admin"})
    assert response.status_code == 200  # the page showing the key once
    [event] = events(Kind.TOKEN_CREATED)
    assert event.user == user and event.actor == boss


# --- the audit log in the admin ------------------------------------------------------------------


@pytest.mark.django_db
def test_editors_and_superusers_read_the_audit_log_analysts_and_members_do_not():
    UserFactory(username="reader")
    post_login(Client(), "reader", "wrong")
    event = SecurityEvent.objects.get()
    for user, status in [
        (assign_role(UserFactory(username="editor"), "editor"), 200),
        (UserFactory(username="root", is_staff=True, is_superuser=True), 200),
        (assign_role(UserFactory(username="analyst"), "analyst"), 403),
    ]:
        client = Client()
        client.force_login(user)
        listing = client.get("/admin/profiles/securityevent/")
        assert listing.status_code == status, user
        assert client.get(f"/admin/profiles/securityevent/{event.pk}/change/").status_code == status
    member = MembershipFactory().user
    client = Client()
    client.force_login(member)
    assert client.get("/admin/profiles/securityevent/").status_code == 302


@pytest.mark.django_db
def test_nobody_adds_edits_or_deletes_audit_entries_in_the_admin():
    UserFactory(username="reader")
    post_login(Client(), "reader", "wrong")
    event = SecurityEvent.objects.get()
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    assert client.get("/admin/profiles/securityevent/add/").status_code == 403
    assert client.post(f"/admin/profiles/securityevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    page = client.get(f"/admin/profiles/securityevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    client.post(f"/admin/profiles/securityevent/{event.pk}/change/", {"kind": "login"})
    client.post(
        "/admin/profiles/securityevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    event.refresh_from_db()
    assert event.kind == Kind.LOGIN_FAILED and SecurityEvent.objects.filter(kind=Kind.LOGIN_FAILED).count() == 1

