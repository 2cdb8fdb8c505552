"""Where credentials come from, and that no secret is ever shown."""

from __future__ import annotations

import copy
import pickle

import pytest

from ot_magic import credentials
from ot_magic.credentials import Credentials
from ot_magic.errors import ConfigurationError

CANARY = "canary-Pa55w0rd-7f3a"
CANARY_TICKET = "0b6f7c2e-canary-ticket-4c1d"


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    for name in ("OT_TICKET_ID", "OT_LOGIN", "OT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    credentials.forget()
    yield
    credentials.forget()


def test_repr_and_str_show_the_login_but_never_the_password_or_ticket():
    shown = [
        repr(Credentials("a@b.c", CANARY)),
        str(Credentials("a@b.c", CANARY)),
        repr(Credentials(ticket_id=CANARY_TICKET)),
        f"{Credentials('a@b.c', CANARY)!s} {[Credentials('a@b.c', CANARY)]}",
    ]
    assert shown[0] == "Credentials(login='a@b.c', password=***)"
    assert shown[2] == "Credentials(ticket_id=***)"
    assert not any(CANARY in text or CANARY_TICKET in text for text in shown)


def test_credentials_cannot_be_pickled_into_a_file():
    with pytest.raises(TypeError):
        pickle.dumps(Credentials("a@b.c", CANARY))
    with pytest.raises(TypeError):
        copy.deepcopy(Credentials("a@b.c", CANARY))


def test_a_ticket_is_sent_instead_of_the_login_and_password():
    ticketed = Credentials("a@b.c", CANARY).with_ticket(CANARY_TICKET)
    assert ticketed.form() == {"ticketId": CANARY_TICKET}
    assert Credentials("a@b.c", CANARY).form() == {"login": "a@b.c", "password": CANARY}


def test_given_credentials_win_over_otlogin_and_the_environment(monkeypatch):
    monkeypatch.setenv("OT_LOGIN", "env@x.org")
    monkeypatch.setenv("OT_PASSWORD", "env-pw")
    monkeypatch.setenv("OT_TICKET_ID", "env-ticket")
    credentials.remember("mem@x.org", "mem-pw")
    assert credentials.resolve(("given@x.org", "given-pw")).login == "given@x.org"


def test_otlogin_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("OT_TICKET_ID", "env-ticket")
    credentials.remember("mem@x.org", "mem-pw")
    assert credentials.resolve().form() == {"login": "mem@x.org", "password": "mem-pw"}
    credentials.forget()
    assert credentials.resolve().form() == {"ticketId": "env-ticket"}


def test_ticket_in_the_environment_wins_over_login_and_password(monkeypatch):
    monkeypatch.setenv("OT_LOGIN", "env@x.org")
    monkeypatch.setenv("OT_PASSWORD", "env-pw")
    assert credentials.resolve().form() == {"login": "env@x.org", "password": "env-pw"}
    monkeypatch.setenv("OT_TICKET_ID", "env-ticket")
    assert credentials.resolve().source == "OT_TICKET_ID"


def test_no_credentials_is_one_line_naming_every_way_to_give_them(monkeypatch):
    monkeypatch.setenv("OT_LOGIN", "only-a-login@x.org")
    assert credentials.resolve() is None
    with pytest.raises(ConfigurationError) as caught:
        credentials.require()
    message = str(caught.value)
    assert "\n" not in message
    assert all(way in message for way in ("%otlogin", "OT_TICKET_ID", "OT_LOGIN", "OT_PASSWORD"))


def test_a_login_without_password_is_refused():
    with pytest.raises(ConfigurationError):
        Credentials("a@b.c", "")
