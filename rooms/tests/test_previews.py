"""The link preview fetcher's SSRF guard, against a real HTTP server on 127.0.0.1: every refusal, and what a card is.

Without LINK_PREVIEW_ALLOWED_HOSTS the fetcher reaches no loopback, private, link-local or otherwise
unroutable address, nor one a redirect points to; with it (tests only) it reaches the test site."""

import socket
import time

import pytest

from rooms import previews
from rooms.tests.support.linksite import link_site


@pytest.fixture
def site():
    with link_site() as site:
        yield site


@pytest.fixture
def connects(monkeypatch):
    """Every address the fetcher opens a connection to (its sockets, spied on; they still connect)."""
    seen: list[tuple] = []

    class Spy(socket.socket):
        def connect(self, address):
            seen.append(address)
            return super().connect(address)

    monkeypatch.setattr(previews.socket, "socket", Spy)
    return seen


@pytest.fixture
def allowed(settings):
    settings.LINK_PREVIEW_ALLOWED_HOSTS = ["127.0.0.1"]


def build(url):
    return previews.build(url)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",  # shared address space (carrier NAT)
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fec0::1",
        "ff02::1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "not an address",
    ],
)
def test_only_globally_routable_addresses_pass(address):
    assert previews.address_allowed(address) is False


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert previews.address_allowed(address) is True


def refusal(url) -> str:
    with pytest.raises(previews.Refused) as refused:
        build(url)
    return str(refused.value)


def test_without_the_setting_the_local_site_is_refused_and_never_contacted(site, connects):
    for url in (
        site.url("/page"),
        f"http://localhost:{site.port}/page",
        f"http://[::1]:{site.port}/page",
        f"http://[::ffff:127.0.0.1]:{site.port}/page",
        f"http://0.0.0.0:{site.port}/page",
    ):
        assert "not a public address" in refusal(url), url
    assert connects == [] and site.hits == {}


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "https://[::ffff:10.0.0.1]/",
        "http://[fe80::1]/",
        "http://0x7f000001/",  # 127.0.0.1 spelled as a number
        "http://2130706433/",
    ],
)
def test_unroutable_addresses_are_refused_before_any_connection(url, connects, settings):
    settings.LINK_PREVIEW_TIMEOUT = 60  # a connection attempt would wait; the refusal comes first
    refused = refusal(url)
    assert "not a public address" in refused or "cannot resolve" in refused
    assert connects == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "http://user:pw@example.com/",
        "http://",
        "http://[::1/",
        "http://" + "\u2603" * 70 + "/",  # not a host name IDNA can spell: refused before any lookup
    ],
)
def test_other_schemes_credentials_and_non_urls_are_refused(url, connects):
    refusal(url)
    assert connects == []


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/page",  # the same server, but not under the exempt name
        "http://[::1]:{port}/page",
        "http://[::ffff:127.0.0.1]:{port}/page",
        "http://0.0.0.0:{port}/page",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_a_redirect_to_a_forbidden_address_is_refused(site, connects, settings, target):
    # The site is reached as "localhost" (exempt); what it redirects to is checked again, without exemption.
    settings.LINK_PREVIEW_ALLOWED_HOSTS = ["localhost"]
    target = target.format(port=site.port)
    assert "not a public address" in refusal(f"http://localhost:{site.port}/to?url={target}")
    assert site.hits == {"/to": 1} and len(connects) == 1  # the redirect, and nothing after it


def test_the_card_of_a_page_with_its_picture_drawn_again(site, allowed):
    preview = build(site.url("/page"))
    assert preview.card.title == "A page about <b>tests</b>"  # text, whitespace collapsed; never markup
    assert preview.card.description == "What the page says about itself."
    assert preview.card.site == "The Test Site"
    assert preview.card.url == site.url("/page")
    assert preview.card.image_url == site.url("/picture.png")
    assert (preview.picture.width, preview.picture.height) == (400, 200)
    assert preview.picture.data[:4] == b"RIFF" and preview.picture.data[8:12] == b"WEBP"


def test_requests_carry_a_plain_user_agent_the_name_as_host_and_no_cookie(site, settings, connects):
    settings.LINK_PREVIEW_ALLOWED_HOSTS = ["localhost"]
    build(f"http://localhost:{site.port}/page")
    (path, headers), (picture_path, _) = site.requests
    assert (path, picture_path) == ("/page", "/picture.png")
    assert headers["Host"] == f"localhost:{site.port}"  # the name, while the socket went to the address resolved
    assert {address[0] for address in connects} <= {"127.0.0.1", "::1"}
    assert headers["User-Agent"].startswith("chatsite")
    assert "Cookie" not in headers and "Authorization" not in headers


def test_a_page_with_only_a_title_is_a_card_named_after_its_host(site, allowed):
    preview = build(site.url("/title"))
    assert (preview.card.title, preview.card.description, preview.card.site) == ("Only a title", "", "127.0.0.1")
    assert preview.picture is None


def test_three_redirects_are_followed_and_a_fourth_is_refused(site, allowed):
    assert build(site.url("/hops?n=2")).card.url == site.url("/page")  # 3 redirects
    assert "too many redirects" in refusal(site.url("/hops?n=3"))


def test_a_page_over_the_limit_is_refused(site, allowed):
    assert "more than" in refusal(site.url("/huge"))


def test_a_page_that_drips_is_cut_off_by_the_overall_deadline(site, allowed, settings):
    # Each byte comes well within any per-read timeout; only a deadline for the whole fetch stops it.
    settings.LINK_PREVIEW_TIMEOUT = 1
    assert "out of time" in refusal(site.url("/slow"))


def test_a_name_lookup_that_does_not_answer_is_cut_off_by_the_deadline(site, settings, monkeypatch, connects):
    # getaddrinfo has no timeout of its own: a resolver that is slow to answer (here 2 s, for a preview
    # with 0.5 s in all) must cost the preview its deadline, not the resolver's.
    settings.LINK_PREVIEW_TIMEOUT = 0.5
    settings.LINK_PREVIEW_ALLOWED_HOSTS = ["slow-dns.test"]
    answered = socket.getaddrinfo

    def slow_resolver(host, *args, **kwargs):
        if host == "slow-dns.test":
            time.sleep(2)
            host = "127.0.0.1"
        return answered(host, *args, **kwargs)

    monkeypatch.setattr(previews.socket, "getaddrinfo", slow_resolver)
    assert refusal(f"http://slow-dns.test:{site.port}/page") == "out of time looking up slow-dns.test"
    assert connects == [] and site.requests == []


def test_a_path_a_person_typed_goes_out_percent_encoded(site, allowed):
    assert "status 404" in refusal(site.url("/página con espacio?q=é"))
    assert site.requests[0][0] == "/p%C3%A1gina%20con%20espacio"


def test_what_is_not_html_is_refused(site, allowed):
    assert "application/json" in refusal(site.url("/json"))


def test_a_picture_that_is_not_one_of_the_accepted_types_leaves_a_card_without_it(site, allowed):
    preview = build(site.url("/svg-picture"))
    assert preview.card.title and preview.picture is None
    assert site.hits["/picture.svg"] == 1


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("see https://example.com/a?b=1, and more", "https://example.com/a?b=1"),
        ("(http://example.com/x)", "http://example.com/x"),
        ("https://en.wikipedia.org/wiki/Chat_(software).", "https://en.wikipedia.org/wiki/Chat_(software)"),
        ("http://[::1 broken, then https://example.org/!", "https://example.org/"),
        ("first http://a.example/ then https://b.example/", "http://a.example/"),
        ("javascript:alert(1) ftp://example.com/", None),
        ("no links here", None),
    ],
)
def test_the_first_http_link_of_a_message(text, link):
    assert previews.first_link(text) == link
