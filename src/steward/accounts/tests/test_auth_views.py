"""Signing in and out on the web, the second factor, session expiry and API tokens."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from steward.accounts import services
from steward.accounts.choices import RoleCode
from steward.accounts.models import ApiToken, Person, Role
from steward.accounts.tests.factories import PASSWORD, make_agent, make_person
from steward.core.models import AuditEntry
from steward.core.testing import assert_problem

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/verify/"
HOME = "/"
SECRET_RE = re.compile(r"stw_[0-9a-f]{12}_[A-Za-z0-9_\-]+")


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def totp_code(device: TOTPDevice) -> str:
    """The code the person's authenticator app would show now (for a step not used yet)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:  # this step's code was spent; the app shows the next one soon
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def enrol_second_factor(client: Client) -> TOTPDevice:
    """Enrol an authenticator app through the profile page, as the signed-in person would."""
    started = client.post(reverse("accounts:second_factor"), {"step": "start"})
    assert started.status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    assert started.context["secret"] in device.config_url
    confirmed = client.post(
        reverse("accounts:second_factor"), {"step": "confirm", "code": totp_code(device)}
    )
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("accounts:profile")
    device.refresh_from_db()
    assert device.confirmed
    return device


# -- password sign-in --------------------------------------------------------------------------


def test_sign_in_by_email_is_case_insensitive(client, settings):
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    # given a person whose e-mail is stored lower-case
    person = make_person(email="Ann.Smith@Example.TEST")
    assert person.email == "ann.smith@example.test"
    # when she signs in typing it in another case
    response = sign_in(client, "ANN.smith@example.Test")
    # then she lands on the home page, signed in as herself
    assert response.status_code == 302
    assert response["Location"] == HOME
    home = client.get(HOME)
    assert home.status_code == 200
    assert home.context["user"] == person
    person.refresh_from_db()
    assert person.last_login is not None


def test_sign_in_page_renders_and_signed_in_people_skip_it(client):
    # given an anonymous visitor
    page = client.get(LOGIN)
    assert page.status_code == 200
    assert b'data-testid="sign-in"' in page.content
    # when a person signs in and opens the sign-in page again
    person = make_person()
    sign_in(client, person.email)
    again = client.get(LOGIN)
    # then they are sent on to the home page
    assert again.status_code == 302
    assert again["Location"] == HOME


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/accounts/profile/"


def test_wrong_password_shows_a_form_error(client):
    # given a person
    person = make_person()
    # when somebody signs in with the wrong password
    response = sign_in(client, person.email, "not the password")
    # then the form answers with an error and nobody is signed in
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "That e-mail and password do not match an active account."
    ]
    assert b"do not match an active account" in response.content
    assert "_auth_user_id" not in client.session
    assert client.get(HOME).status_code == 302


def test_unknown_email_gets_the_same_error_as_a_wrong_password(client):
    response = sign_in(client, "nobody@example.test")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "That e-mail and password do not match an active account."
    ]


def test_deactivated_person_cannot_sign_in(client):
    # given a person who has been deactivated
    person = make_person()
    services.update_person(actor=None, person=person, is_active=False)
    # when they sign in with the right password
    response = sign_in(client, person.email)
    # then they are refused like any wrong password
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "That e-mail and password do not match an active account."
    ]
    assert "_auth_user_id" not in client.session


def test_deactivating_a_signed_in_person_ends_their_session(client, settings):
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    # given a signed-in person
    person = make_person()
    sign_in(client, person.email)
    assert client.get(HOME).status_code == 200
    # when an administrator deactivates them
    services.update_person(actor=None, person=person, is_active=False)
    # then their next request is anonymous
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


# -- lock-out (django-axes) --------------------------------------------------------------------


def test_five_failures_lock_the_account_even_for_the_right_password(client, settings):
    # given a person and the configured failure limit
    assert settings.AXES_FAILURE_LIMIT == 5
    person = make_person()
    # when four wrong passwords are tried, the form still answers
    for _ in range(4):
        response = sign_in(client, person.email, "wrong password")
        assert response.status_code == 200
        assert b"do not match an active account" in response.content
    # and the fifth locks the account
    fifth = sign_in(client, person.email, "wrong password")
    assert fifth.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in fifth.templates]
    assert b"Too many failed sign-ins" in fifth.content
    # then even the right password shows the locked-out page and signs nobody in
    right = sign_in(client, person.email)
    assert right.status_code == 429
    assert b"Too many failed sign-ins" in right.content
    assert "_auth_user_id" not in client.session
    assert client.get(HOME).status_code == 302
    attempt = AccessAttempt.objects.get()
    assert attempt.username == person.email
    assert attempt.failures_since_start >= 5


def test_lock_out_counts_every_spelling_of_the_email(client):
    # given a person, and an attacker varying the case of the e-mail address
    person = make_person(email="case@example.test")
    spellings = [
        "case@example.test",
        "CASE@example.test",
        "Case@Example.test",
        "cAsE@example.TEST",
        "case@EXAMPLE.test",
    ]
    for spelling in spellings:
        sign_in(client, spelling, "wrong password")
    # when the right password follows, in yet another spelling
    response = sign_in(client, "CASE@EXAMPLE.TEST")
    # then the account is locked all the same
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert person.email == "case@example.test"


def test_lock_out_is_per_address(client):
    # given an account locked from one address
    person = make_person()
    for _ in range(5):
        sign_in(client, person.email, "wrong password", REMOTE_ADDR="203.0.113.9")
    assert sign_in(client, person.email, REMOTE_ADDR="203.0.113.9").status_code == 429
    # when the owner signs in from another address
    response = sign_in(Client(), person.email, REMOTE_ADDR="198.51.100.7")
    # then they get in
    assert response.status_code == 302
    assert response["Location"] == HOME


def test_a_success_before_the_limit_resets_the_count(client):
    # given four failures and then a success
    person = make_person()
    for _ in range(4):
        sign_in(client, person.email, "wrong password")
    assert sign_in(client, person.email).status_code == 302
    client.post(reverse("accounts:logout"))
    # when four more failures follow
    for _ in range(4):
        response = sign_in(client, person.email, "wrong password")
    # then the account is not locked yet
    assert response.status_code == 200
    assert sign_in(client, person.email).status_code == 302


# -- sessions ---------------------------------------------------------------------------------


def test_session_lifetime_is_absolute_and_set_at_sign_in(client, settings):
    # given the configured lifetime: 8 hours, not ended by closing the browser
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False
    person = make_person()
    # when a person signs in
    before = timezone.now()
    response = sign_in(client, person.email)
    # then the cookie and the stored session both expire after that lifetime
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    stored = Session.objects.get(session_key=client.session.session_key)
    expected = before + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert expected <= stored.expire_date <= expected + timedelta(minutes=1)


def test_expired_session_is_signed_out(client, settings):
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    # given a signed-in person
    person = make_person()
    sign_in(client, person.email)
    assert client.get(HOME).status_code == 200
    # when their session outlives its lifetime
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    # then the next request is sent to sign in again
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/"
    # and the API does not accept the session either
    assert_problem(client.get(reverse("person-me")), 401)


# -- signing out ------------------------------------------------------------------------------


def test_sign_out_ends_the_session(client):
    # given a signed-in person
    person = make_person()
    sign_in(client, person.email)
    key = client.session.session_key
    # when they sign out (a GET does not sign out)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    # then they are back at the sign-in page and the session is gone
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(HOME).status_code == 302


# -- second factor ----------------------------------------------------------------------------


def test_enrolled_second_factor_is_required_at_sign_in(client, settings):
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    # given a person who enrols an authenticator app on the profile page
    person = make_person()
    sign_in(client, person.email)
    device = enrol_second_factor(client)
    assert AuditEntry.objects.filter(
        action="person.second_factor_enrolled", object_id=str(person.pk), actor=person
    ).exists()
    assert b'class="status-active">on<' in client.get(reverse("accounts:profile")).content
    client.post(reverse("accounts:logout"))
    # when they sign in again with their password
    response = sign_in(client, person.email)
    assert response.status_code == 302
    # then every page sends them to verify the code first, and the API refuses the session
    home = client.get(HOME)
    assert home.status_code == 302
    assert home["Location"] == f"{VERIFY}?next=/"
    assert client.get(reverse("accounts:profile"))["Location"].startswith(VERIFY)
    assert_problem(client.get(reverse("person-me")), 401)
    # when they enter a wrong code
    wrong = client.post(VERIFY, {"code": "000000" if totp_code(device) != "000000" else "111111"})
    # then it is refused, recorded, and they are still not in
    assert wrong.status_code == 200
    assert wrong.context["form"].errors == {"code": ["That code is not valid."]}
    assert AuditEntry.objects.filter(
        action="person.second_factor_failed", object_id=str(person.pk)
    ).exists()
    assert client.get(HOME).status_code == 302
    # when a moment passes (the device throttles after a failure) and the right code follows
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=1)
    )
    right = client.post(VERIFY, {"code": totp_code(device), "next": "/accounts/profile/"})
    # then they are in, sent where they were going
    assert right.status_code == 302
    assert right["Location"] == "/accounts/profile/"
    assert client.get(HOME).status_code == 200
    assert client.get(reverse("person-me")).json()["email"] == person.email


def test_right_code_straight_after_a_wrong_one_is_throttled(client):
    # given a person with a second factor, signed in with the password
    person = make_person()
    sign_in(client, person.email)
    device = enrol_second_factor(client)
    client.post(reverse("accounts:logout"))
    sign_in(client, person.email)
    # when a wrong code is followed at once by the right one
    client.post(VERIFY, {"code": "abcdef"})
    response = client.post(VERIFY, {"code": totp_code(device)})
    # then the device refuses to check it yet
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "code": ["Too many wrong codes; wait a moment before trying again."]
    }
    assert client.get(HOME).status_code == 302


def test_a_spent_code_cannot_be_replayed(client):
    # given a person who signed in with a code
    person = make_person()
    sign_in(client, person.email)
    device = enrol_second_factor(client)
    client.post(reverse("accounts:logout"))
    sign_in(client, person.email)
    code = totp_code(device)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post(reverse("accounts:logout"))
    # when somebody replays the same code
    sign_in(client, person.email)
    response = client.post(VERIFY, {"code": code})
    # then it is refused
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["That code is not valid."]}


def test_wrong_code_at_enrolment_leaves_the_second_factor_off(client):
    person = make_person()
    sign_in(client, person.email)
    client.post(reverse("accounts:second_factor"), {"step": "start"})
    device = TOTPDevice.objects.get(user=person)
    code = totp_code(device)
    response = client.post(
        reverse("accounts:second_factor"),
        {"step": "confirm", "code": "000000" if code != "000000" else "111111"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "code": ["That code is not valid. Check the time on your phone."]
    }
    device.refresh_from_db()
    assert device.confirmed is False
    assert services.confirmed_device(person) is None


def test_role_requiring_second_factor_forces_enrolment(client):
    # given agents must use a second factor, and an agent without one
    services.update_role(
        actor=None, role=Role.objects.get(code=RoleCode.AGENT), requires_second_factor=True
    )
    agent = make_agent()
    # when the agent signs in
    assert sign_in(client, agent.email).status_code == 302
    # then every other page sends them to enrol
    for url in (HOME, reverse("accounts:profile"), reverse("accounts:tokens")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("accounts:second_factor")
    page = client.get(reverse("accounts:second_factor"))
    assert page.status_code == 200
    assert b"Your role requires a second factor" in page.content
    # and they cannot remove it once enrolled
    enrol_second_factor(client)
    assert client.get(HOME).status_code == 200
    client.post(reverse("accounts:second_factor"), {"step": "remove"})
    assert services.confirmed_device(agent) is not None


def test_requester_without_that_role_is_not_forced_to_enrol(client, settings):
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    services.update_role(
        actor=None, role=Role.objects.get(code=RoleCode.AGENT), requires_second_factor=True
    )
    person = make_person()
    sign_in(client, person.email)
    assert client.get(HOME).status_code == 200


# -- API tokens on the profile page ------------------------------------------------------------


def create_token_on_profile(client: Client, name: str = "monitoring", days: int = 30) -> str:
    page = client.post(reverse("accounts:tokens"), {"name": name, "expires_in_days": days})
    assert page.status_code == 200
    assert page.context["form"].errors == {}
    found = SECRET_RE.findall(page.content.decode())
    assert len(found) == 1, found
    return found[0]


def test_token_is_shown_once_and_stored_hashed(client, api_client):
    # given a signed-in person on their tokens page
    person = make_person()
    sign_in(client, person.email)
    # when they create a token
    secret = create_token_on_profile(client, days=30)
    # then it is stored only as its digest, for them, expiring as asked
    token = ApiToken.objects.get(person=person)
    assert token.name == "monitoring"
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.filter(pk=token.pk).values_list().get()]
    assert not [value for value in stored if secret in value]
    assert secret.split("_", 2)[2] not in " ".join(stored)
    lifetime = token.expires_at - token.created_at
    assert timedelta(days=30) - timedelta(seconds=5) < lifetime <= timedelta(days=30)
    audits = AuditEntry.objects.filter(action="api_token.created", object_id=str(token.pk))
    assert audits.count() == 1
    assert secret not in str(audits.get().changes)
    # and the page does not show it again
    later = client.get(reverse("accounts:tokens"))
    assert later.status_code == 200
    assert secret not in later.content.decode()
    assert not SECRET_RE.findall(later.content.decode())
    assert token.prefix in later.content.decode()
    # nor does the API
    detail = client.get(reverse("api-token-detail", args=[token.pk])).json()
    assert detail["id"] == token.pk
    assert secret not in str(detail)
    # and the token works, recording its use
    assert token.last_used_at is None
    response = api_client.get(reverse("person-me"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()["email"] == person.email
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_form_refuses_a_lifetime_beyond_the_maximum(client, settings):
    person = make_person()
    sign_in(client, person.email)
    response = client.post(reverse("accounts:tokens"), {"name": "x", "expires_in_days": 9999})
    assert response.status_code == 200
    assert "expires_in_days" in response.context["form"].errors
    assert not SECRET_RE.findall(response.content.decode())
    assert not ApiToken.objects.filter(person=person).exists()


def test_expired_token_is_401_problem(client, api_client):
    # given a token created on the profile page, which then expires
    person = make_person()
    sign_in(client, person.email)
    secret = create_token_on_profile(client)
    token = ApiToken.objects.get(person=person)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # when a script uses it
    response = api_client.get(reverse("person-me"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    # then it gets a 401 problem saying why, and its use is not recorded
    body = assert_problem(response, 401)
    assert body["detail"] == "This token has expired."
    assert response["WWW-Authenticate"].startswith("Bearer")
    token.refresh_from_db()
    assert token.last_used_at is None


def test_revoked_token_is_401_problem(client, api_client):
    # given a token revoked on the profile page
    person = make_person()
    sign_in(client, person.email)
    secret = create_token_on_profile(client)
    token = ApiToken.objects.get(person=person)
    revoked = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="api_token.revoked", actor=person).count() == 1
    # when a script uses it
    response = api_client.get(reverse("person-me"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    # then it gets a 401 problem
    assert assert_problem(response, 401)["detail"] == "This token has been revoked."
    token.refresh_from_db()
    assert token.last_used_at is None


def test_nobody_revokes_another_persons_token(client):
    # given bob's token, and alice signed in
    bob = make_person()
    token, _ = services.create_api_token(actor=None, person=bob, name="bob's")
    alice = make_person()
    sign_in(client, alice.email)
    # when alice posts to revoke it
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    # then it is not found for her and stays active
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_last_used_is_recorded_at_minute_resolution(api_client):
    # given a token used once
    person = make_person()
    token, secret = services.create_api_token(actor=None, person=person, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert api_client.get(reverse("person-me"), **auth).status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    # when it is used again at once, the stamp stays
    assert api_client.get(reverse("person-me"), **auth).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == first
    # when it is used again more than a minute after the stamp, the stamp moves
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    assert api_client.get(reverse("person-me"), **auth).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


def test_token_of_a_deactivated_person_is_401(api_client):
    person = make_person()
    _, secret = services.create_api_token(actor=None, person=person, name="t")
    Person.objects.filter(pk=person.pk).update(is_active=False)
    response = api_client.get(reverse("person-me"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert assert_problem(response, 401)["detail"] == "This account is deactivated."
