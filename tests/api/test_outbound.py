"""The guarded outbound client (api/outbound.py) against real local sites.

"localhost" over TLS with a test CA plays an allowed export host; 127.0.0.2 plays an internal
service that must never be reached. Outcomes are asserted (error kind, what each site saw),
never elapsed time.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from api import outbound
from api.app import create_app
from api.outbound import OutboundError, OutboundPolicy
from api.services.nightly import run_user
from api.services.sources import SourceError, fetch_url
from api.services.users import find_user
from tests.api.test_imports import JANE_VCF
from tests.sites import (
    Site,
    TestTLS,
    basic_auth,
    body,
    closed_port,
    drip,
    endless,
    make_tls,
    redirect,
    status,
)

VCARD = JANE_VCF.read_bytes()
SECRET = b"full_name\nInternal Secret\n"
GENERIC = set(outbound.MESSAGES.values())


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TestTLS:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def internal(tls: TestTLS) -> Iterator[tuple[Site, Site]]:
    """An internal service on 127.0.0.2, over plain http and over TLS, holding a secret."""
    plain, secure = Site("127.0.0.2"), Site("127.0.0.2", tls)
    for site in (plain, secure):
        site.routes["/secret.csv"] = body(SECRET, "text/csv")
    yield plain, secure
    plain.close()
    secure.close()


@pytest.fixture
def site(tls: TestTLS, internal: tuple[Site, Site]) -> Iterator[Site]:
    """The export host (allowed as localhost:<its port>), with one route per hostile behaviour."""
    plain, secure = internal
    s = Site("127.0.0.1", tls)
    s.routes.update(
        {
            "/contacts.vcf": body(VCARD, ETag='"v1"'),
            "/to-internal": redirect(plain.url("/secret.csv")),
            "/to-internal-tls": redirect(secure.url("/secret.csv"), 307),
            "/to-internal-by-name": redirect(secure.url("/secret.csv", host="localhost")),
            "/to-contacts": redirect("/contacts.vcf", 301),
            "/loop": redirect("/loop"),
            "/drip": drip(b"NOTE:still coming\r\n", 0.5, 60),
            "/endless": endless(b"x" * 16384),
            "/declared-big": endless(b"x" * 16384, declared=50 * 1024 * 1024),
            "/private": basic_auth("ann", "s3cret", body(VCARD)),
            "/to-private": redirect("/private"),
            "/broken": status(500),
        }
    )
    yield s
    s.close()


@pytest.fixture
def policy(tls: TestTLS, site: Site) -> OutboundPolicy:
    return OutboundPolicy(
        allow_hosts=frozenset({f"localhost:{site.port}"}),
        deadline_s=2.0,
        max_bytes=64 * 1024,
        verify=tls.client_context(),
    )


async def failure(policy: OutboundPolicy, url: str, **kwargs: Any) -> OutboundError:
    with pytest.raises(OutboundError) as caught:
        await outbound.request(policy, "GET", url, **kwargs)
    return caught.value


def assert_generic(error: OutboundError) -> None:
    """One fixed sentence: no number (port, status, size), no exception name, no address."""
    assert error.user_message in GENERIC and str(error) == error.user_message
    assert not re.search(r"\d|error|exception|timeout|localhost", error.user_message, re.I)


async def test_an_allowed_host_is_fetched_over_verified_tls(policy, site):
    response = await outbound.fetch(policy, site.url("/contacts.vcf", host="localhost"))
    assert response.status == 200 and response.content == VCARD
    assert response.headers["etag"] == '"v1"'
    assert site.seen[-1].headers["Host"] == f"localhost:{site.port}"


async def test_a_redirect_is_followed_and_the_final_url_reported(policy, site):
    response = await outbound.fetch(policy, site.url("/to-contacts", host="localhost"))
    assert response.content == VCARD
    assert response.url == site.url("/contacts.vcf", host="localhost")


@pytest.mark.parametrize("path", ["/to-internal", "/to-internal-tls", "/to-internal-by-name"])
async def test_a_redirect_to_an_internal_address_is_not_followed(policy, site, internal, path):
    error = await failure(policy, site.url(path, host="localhost"))
    assert error.kind == "not-allowed"
    assert_generic(error)
    assert [s.seen for s in internal] == [[], []], "the internal service got no request"


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/x.vcf",
        "https://[::ffff:10.1.2.3]/x.vcf",
        "https://[fd00::1]/x.vcf",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/x.vcf",
        "https://0.0.0.0/x.vcf",
        "https://kith-export.test/x.vcf",
        "https://printer.local/x.vcf",
    ],
)
async def test_an_internal_address_is_refused_before_any_connection(policy, url):
    error = await failure(policy, url)
    assert error.kind == "not-allowed"
    assert_generic(error)


async def test_a_name_whose_dns_answer_is_internal_is_refused(policy, internal):
    # The literal is fine, the URL names "localhost": its DNS answer (127.0.0.1) is what counts.
    _, secure = internal
    error = await failure(policy, secure.url("/secret.csv", host="localhost"))
    assert error.kind == "not-allowed"
    assert secure.seen == []


async def test_an_allowed_name_is_allowed_on_its_port_only(policy, internal):
    _, secure = internal
    other = replace(policy, allow_hosts=frozenset({"localhost:1"}))
    error = await failure(other, secure.url("/secret.csv", host="localhost"))
    assert error.kind == "not-allowed" and secure.seen == []


async def test_the_connection_goes_to_the_checked_address_without_a_second_lookup(
    policy, site, internal, monkeypatch
):
    """DNS rebinding: the first answer passes the check; any later answer would be internal."""
    answers: list[str] = []

    async def rebinding(host: str, port: int) -> list[Any]:
        answers.append(host)
        first = len(answers) == 1
        return [ipaddress.ip_address("127.0.0.1" if first else "127.0.0.2")]

    # 127.0.0.1 stands in for a public address; 127.0.0.2 stays internal.
    real = outbound.refused_address
    monkeypatch.setattr(outbound, "_resolve", rebinding)
    monkeypatch.setattr(
        outbound, "refused_address", lambda a: a != ipaddress.ip_address("127.0.0.1") and real(a)
    )
    response = await outbound.fetch(policy, site.url("/contacts.vcf", host="export.example.com"))
    assert response.content == VCARD and answers == ["export.example.com"]
    assert site.seen[-1].headers["Host"] == f"export.example.com:{site.port}"
    assert [s.seen for s in internal] == [[], []]


async def test_the_certificate_is_verified_for_the_name_not_the_address(policy, site, monkeypatch):
    async def resolve(host: str, port: int) -> list[Any]:
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(outbound, "_resolve", resolve)
    wrong_name = replace(policy, allow_hosts=frozenset({"files.example.org"}))
    error = await failure(wrong_name, site.url("/contacts.vcf", host="files.example.org"))
    assert error.kind == "unreachable"
    untrusted = replace(policy, verify=True)
    error = await failure(untrusted, site.url("/contacts.vcf", host="localhost"))
    assert error.kind == "unreachable"
    assert_generic(error)


async def test_plain_http_is_refused_unless_the_host_is_allowed(policy, internal):
    plain, _ = internal
    error = await failure(policy, plain.url("/secret.csv"))
    assert error.kind == "not-allowed" and plain.seen == []
    allowed = replace(policy, allow_hosts=frozenset({"127.0.0.2"}))
    assert (await outbound.fetch(allowed, plain.url("/secret.csv"))).content == SECRET


async def test_a_slow_drip_fails_at_the_overall_deadline(policy, site):
    error = await failure(policy, site.url("/drip", host="localhost"))
    assert error.kind == "too-slow"
    assert_generic(error)


@pytest.mark.parametrize("path", ["/endless", "/declared-big"])
async def test_an_oversized_body_is_cut_off(policy, site, path):
    # The body never ends: only cutting it off at max_bytes ends this request before the deadline.
    error = await failure(policy, site.url(path, host="localhost"))
    assert error.kind == "too-large"
    assert_generic(error)


async def test_a_redirect_loop_stops_after_the_limit(policy, site):
    error = await failure(policy, site.url("/loop", host="localhost"))
    assert error.kind == "http-error"
    assert len(site.seen) == policy.max_redirects + 1


async def test_credentials_go_to_the_same_origin_only(policy, site, tls):
    url = site.url("/to-private", host="localhost")
    response = await outbound.request(policy, "GET", url, auth=("ann", "s3cret"))
    assert response.content == VCARD, "a same-origin redirect keeps the credentials"

    other = Site("127.0.0.1", tls)
    other.routes["/x"] = body(b"")
    try:
        site.routes["/away"] = redirect(other.url("/x", host="localhost"))
        both = replace(policy, allow_hosts=policy.allow_hosts | {f"localhost:{other.port}"})
        headers = {"Authorization": "Bearer t0ken", "Cookie": "a=b"}
        url = site.url("/away", host="localhost")
        await outbound.request(both, "GET", url, auth=("ann", "s3cret"), headers=headers)
        await outbound.request(both, "GET", url, headers=headers)
        assert len(other.seen) == 2
        for seen in other.seen:
            assert "Authorization" not in seen.headers and "Cookie" not in seen.headers
    finally:
        other.close()


async def test_refused_credentials_and_server_errors_are_generic(policy, site):
    error = await failure(policy, site.url("/private", host="localhost"), auth=("ann", "no"))
    assert error.kind == "refused-credentials"
    assert error.user_message == "the server refused the username or password"
    error = await failure(policy, site.url("/broken", host="localhost"))
    assert error.kind == "http-error"
    assert_generic(error)
    accepted = await outbound.request(
        policy, "GET", site.url("/broken", host="localhost"), accept={500}
    )
    assert accepted.status == 500


async def test_a_closed_port_and_an_answering_port_fail_alike_and_the_log_has_the_detail(
    policy, site, caplog
):
    allowed = replace(policy, allow_hosts=frozenset({"localhost", "127.0.0.1"}))
    closed = await failure(allowed, f"http://127.0.0.1:{closed_port()}/")
    answering = await failure(allowed, site.url("/private", host="localhost"))
    missing = await failure(allowed, site.url("/nothing-here", host="localhost"))
    assert closed.kind == "unreachable" and closed.user_message == missing.user_message
    assert answering.kind == "refused-credentials"
    with caplog.at_level(logging.WARNING, logger="kith.outbound"):
        await failure(allowed, site.url("/nothing-here", host="localhost"))
    assert f"localhost:{site.port}" in caplog.text and "404" in caplog.text


@pytest.mark.parametrize(
    "text",
    ["127.0.0.1", "10.0.0.1", "192.168.1.1", "172.16.0.1", "100.100.0.1", "169.254.0.1",
     "224.0.0.1", "255.255.255.255", "0.0.0.0", "240.0.0.1", "::1", "::", "fe80::1",
     "fec0::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:192.168.0.1",
     "64:ff9b::a01:203", "2002:a00:1::1"],
)  # fmt: skip
def test_every_kind_of_internal_address_is_refused(text):
    assert outbound.refused_address(ipaddress.ip_address(text))


@pytest.mark.parametrize("text", ["93.184.216.34", "2606:2800:220:1::1", "64:ff9b::5db8:d822"])
def test_public_addresses_pass(text):
    assert not outbound.refused_address(ipaddress.ip_address(text))


# The sources wired to the client: refused at creation and at fetch, generic last_error.


@pytest.fixture
def app(clean_db, clock, site):
    settings = replace(clean_db, source_allow_hosts=(f"localhost:{site.port}",))
    return create_app(settings, clock, migrate_on_start=False, start_scheduler=False)


@pytest.mark.parametrize(
    "location",
    ["https://10.1.2.3/x.vcf", "https://localhost:{internal}/secret.csv", "http://[::1]/x"],
)
async def test_a_url_source_to_an_internal_address_is_refused_at_creation(
    alice, internal, location
):
    location = location.format(internal=internal[1].port)
    r = await alice.post("/api/sources", json={"kind": "url", "location": location})
    assert r.status_code == 400
    assert not re.search(r"\d|error", r.json()["error"].split(":")[-1], re.I), r.text
    assert internal[1].seen == []


async def test_a_redirect_to_an_internal_address_fails_the_source_and_imports_nothing(
    alice, site, internal, clock, clean_db, tls, monkeypatch
):
    monkeypatch.setattr(outbound, "current_policy", lambda: _trusting(tls, site))
    location = site.url("/to-internal", host="localhost")
    r = await alice.post("/api/sources", json={"kind": "url", "location": location})
    assert r.status_code == 201, r.text
    result = await run_user(await find_user("alice@example.com"), clock(), clean_db)
    assert result["status"] == "failed"
    source = (await alice.get("/api/sources")).json()[0]
    assert source["last_error"] == "the address is not allowed"
    assert (await alice.get("/api/contacts")).json()["items"] == []
    assert [s.seen for s in internal] == [[], []]


async def test_fetch_url_refuses_an_internal_address_with_a_generic_message(policy):
    row = {"location": "https://10.1.2.3/x.vcf", "etag": None, "last_modified": None}
    with pytest.raises(SourceError) as caught:
        await fetch_url(row, policy)
    assert str(caught.value) == "the address is not allowed"


async def test_fetch_url_keeps_the_conditional_get(policy, site):
    row = {"location": site.url("/contacts.vcf", host="localhost"), "etag": None}
    body_, etag, _ = await fetch_url({**row, "last_modified": None}, policy)
    assert body_ == VCARD and etag == '"v1"'
    await fetch_url({**row, "etag": etag, "last_modified": "Sat, 21 Nov 2026 12:00:00 GMT"}, policy)
    assert site.seen[-1].headers["If-None-Match"] == '"v1"'
    assert site.seen[-1].headers["If-Modified-Since"] == "Sat, 21 Nov 2026 12:00:00 GMT"


def _trusting(tls: TestTLS, site: Site) -> OutboundPolicy:
    return OutboundPolicy(
        allow_hosts=frozenset({f"localhost:{site.port}"}), verify=tls.client_context()
    )
