"""The enterprise's rating as real browsers post it, and the public pages' errors.

Django's test client sends no Origin and no Referer, so it cannot notice that a page's
Referrer-Policy makes a browser post `Origin: null`. These tests play the browser: they read
the policy the page sets (header, then the page's own <meta name="referrer">, which wins) and
send the Origin and Referer a browser sends under it for a same-origin form POST (Fetch
standard, "serializing a request origin"; Referrer Policy, "determine request's referrer"),
with CSRF checks on as in production.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from ledger.service.feedback.models import FeedbackRating

from .conftest import public_url

pytestmark = pytest.mark.django_db

# policies under which a same-origin request carries no referrer at all
NO_REFERRER = {"no-referrer"}
# policies under which a same-origin request's referrer is only the origin
ORIGIN_ONLY = {"origin", "strict-origin"}


def effective_policy(response) -> str:
    """The policy the document applies: the last token of the header, overridden by a
    <meta name="referrer"> in the page (browsers apply the meta tag when they parse it)."""
    policy = response.get("Referrer-Policy", "").split(",")[-1].strip() or (
        "strict-origin-when-cross-origin"  # the browsers' default
    )
    meta = re.search(r'<meta name="referrer" content="([^"]+)"', response.content.decode())
    return meta.group(1).strip() if meta else policy


def browser_headers(policy: str, page_url: str, origin: str, *, sends_origin: bool) -> dict:
    """What a browser adds to a same-origin form POST from page_url."""
    headers = {}
    if sends_origin:
        headers["HTTP_ORIGIN"] = "null" if policy in NO_REFERRER else origin
    if policy in ORIGIN_ONLY:
        headers["HTTP_REFERER"] = origin + "/"
    elif policy not in NO_REFERRER:
        headers["HTTP_REFERER"] = page_url
    return headers


BROWSERS = {
    # Chromium and Firefox send Origin with every POST
    "chromium": True,
    "firefox": True,
    # older WebViews (WeChat's X5 among them) send no Origin on a same-origin POST: Django
    # then checks the Referer (on HTTPS)
    "wechat": False,
}


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("browser", sorted(BROWSERS))
def test_a_browser_can_post_the_rating_with_csrf_checks_on(link, resolved, browser, scheme):
    client = Client(enforce_csrf_checks=True)
    secure = scheme == "https"
    path = public_url(link)
    page = client.get(path, secure=secure)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    origin = f"{scheme}://testserver"
    headers = browser_headers(
        effective_policy(page), origin + path, origin, sends_origin=BROWSERS[browser]
    )

    response = client.post(
        path,
        {"csrfmiddlewaretoken": token, "rating": "dissatisfied", "comment": "路面仍有积水。"},
        secure=secure,
        **headers,
    )

    assert response.status_code == 302, (browser, scheme, headers, response.content[:300])
    assert response["Location"].endswith("?saved=1")
    rating = FeedbackRating.objects.get(issue=resolved, is_current=True)
    assert rating.rating == "dissatisfied"


def test_the_page_never_hands_its_token_to_another_site(client, link):
    """The origin reaches our own server with the POST; no other site learns the URL."""
    policy = effective_policy(client.get(public_url(link)))
    # same-origin: the full URL only to ourselves, nothing at all to other sites
    assert policy == "same-origin"


def _staff_app_links(html: str) -> list[str]:
    found = [text for text in ("返回工作台", "navbar", "工作台") if text in html]
    for name in ("home", "issue_list", "login"):
        if f'href="{reverse(name)}"' in html:
            found.append(name)
    return found


def test_a_refused_post_shows_the_public_page_not_the_staff_one(link, resolved):
    client = Client(enforce_csrf_checks=True)
    client.get(public_url(link))
    # a post made from another site (or after the cookie was lost): no valid CSRF token
    response = client.post(
        public_url(link),
        {"rating": "satisfied"},
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert _staff_app_links(html) == []
    assert 'data-testid="feedback-csrf"' in html
    assert "feedback-public" in html  # the enterprise's own bare layout
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert not FeedbackRating.objects.filter(issue=resolved).exists()


@pytest.mark.parametrize(
    "token", ["nope", "AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"]
)
def test_an_unknown_or_expired_link_shows_the_public_404(client, token):
    response = client.get(reverse("feedback:public", args=[token]))
    assert response.status_code == 404
    html = response.content.decode()
    assert _staff_app_links(html) == []
    assert 'data-testid="feedback-not-found"' in html
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]


def test_the_throttle_page_does_not_point_to_the_staff_app(client, link, settings):
    settings.LEDGER = {**settings.LEDGER, "FEEDBACK_POSTS_PER_LINK": 1}
    client.post(public_url(link), {"rating": "bogus"})
    response = client.post(public_url(link), {"rating": "bogus"})
    assert response.status_code == 429
    assert _staff_app_links(response.content.decode()) == []
