"""The application shell: home page, layout, static files, security headers."""

import re
from urllib.parse import urljoin

from fastapi.testclient import TestClient


def test_home_page_is_korean_and_links_to_districts(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="ko"' in html
    assert 'href="/districts"' in html
    assert "행정동 424곳" in html


def test_layout_has_a_skip_link_to_main_content(client: TestClient) -> None:
    html = client.get("/").text
    assert re.search(r'<a[^>]+href="#main-content"[^>]*>\s*본문 바로가기', html)
    assert 'id="main-content"' in html


def test_every_static_file_a_page_references_is_served(client: TestClient) -> None:
    html = client.get("/districts").text
    assets = set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html))
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_stylesheets_load_only_files_we_serve(client: TestClient) -> None:
    html = client.get("/").text
    sheets = re.findall(r'href="(/static/[^"]+\.css)"', html)
    assert sheets
    for sheet in sheets:
        css = client.get(sheet).text
        for url in set(re.findall(r"url\(\s*['\"]?([^'\")]+)", css)):
            if url.startswith("data:"):
                continue
            assert not url.startswith(("http:", "https:", "//")), f"{sheet} loads {url}"
            path = urljoin(sheet, url).split("?")[0].split("#")[0]
            assert client.get(path).status_code == 200, f"{sheet} → {path}"


def test_pages_carry_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_healthz_answers_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
