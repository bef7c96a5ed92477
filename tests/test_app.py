"""The application shell: home page, layout, static files, security headers."""

import re
from urllib.parse import urljoin

from fastapi.testclient import TestClient


def test_home_page_is_korean_and_links_to_districts(staff_client: TestClient) -> None:
    response = staff_client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="ko"' in html
    assert 'href="/districts"' in html
    assert "행정동 424곳" in html


def test_layout_has_a_skip_link_to_main_content(staff_client: TestClient) -> None:
    html = staff_client.get("/").text
    assert re.search(r'<a[^>]+href="#main-content"[^>]*>\s*본문 바로가기', html)
    assert 'id="main-content"' in html


def test_every_static_file_a_page_references_is_served(staff_client: TestClient) -> None:
    html = staff_client.get("/districts").text
    assets = set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html))
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert staff_client.get(asset).status_code == 200, asset


def test_stylesheets_load_only_files_we_serve(staff_client: TestClient) -> None:
    html = staff_client.get("/").text
    sheets = re.findall(r'href="(/static/[^"]+\.css)"', html)
    assert sheets
    for sheet in sheets:
        css = staff_client.get(sheet).text
        for url in set(re.findall(r"url\(\s*['\"]?([^'\")]+)", css)):
            if url.startswith("data:"):
                continue
            assert not url.startswith(("http:", "https:", "//")), f"{sheet} loads {url}"
            path = urljoin(sheet, url).split("?")[0].split("#")[0]
            assert staff_client.get(path).status_code == 200, f"{sheet} → {path}"


def test_pages_carry_security_headers(staff_client: TestClient) -> None:
    headers = staff_client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_healthz_answers_ok(staff_client: TestClient) -> None:
    assert staff_client.get("/healthz").json() == {"status": "ok"}
