"""What every page's <head> asks of the browser: a favicon, and htmx kept within the CSP."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse


def test_favicon_ico_redirects_permanently_to_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == static("img/favicon.svg")
    assert finders.find("img/favicon.svg")


def test_pages_link_the_svg_icon(client):
    html = client.get(reverse("login")).content.decode()
    assert f'<link rel="icon" href="{static("img/favicon.svg")}" type="image/svg+xml">' in html


def test_htmx_is_told_not_to_inject_its_inline_indicator_style(client):
    # the strict CSP (style-src 'self') refuses the <style> htmx adds; ledger.css has the rules
    html = client.get(reverse("login")).content.decode()
    config = html.index("""<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>""")
    assert config < html.index("htmx-2.min.js")
    css = Path(finders.find("css/ledger.css")).read_text(encoding="utf-8")
    assert re.search(r"\.htmx-indicator\s*\{[^}]*opacity:\s*0", css)
    assert re.search(r"\.htmx-request\.htmx-indicator\s*\{[^}]*opacity:\s*1", css)
