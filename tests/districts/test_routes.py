"""Pages: Seoul's gu → a gu's dongs → a center."""

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_dong, make_gu


def _links(html: str, prefix: str) -> list[str]:
    return re.findall(rf'href="({re.escape(prefix)}[^"]*)"', html)


def test_districts_page_links_all_25_gu(staff_client: TestClient) -> None:
    response = staff_client.get("/districts")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="ko"' in html
    assert len(set(_links(html, "/districts/gu/"))) == 25
    assert "강남구" in html and "중랑구" in html
    # The city map places every dong and links it to its center.
    assert len(set(_links(html, "/districts/centers/"))) == 424


def test_gu_page_lists_its_dongs_with_links_to_their_centers(staff_client: TestClient) -> None:
    html = staff_client.get("/districts/gu/11230").text
    assert "<h1" in html and "강남구" in html
    centers = set(_links(html, "/districts/centers/"))
    assert len(centers) == 22
    assert "/districts/centers/1123068" in centers
    assert "개포1동 주민센터" in html


def test_center_page_shows_the_center_and_the_way_back(staff_client: TestClient) -> None:
    html = staff_client.get("/districts/centers/1123068").text
    assert "개포1동 주민센터" in html
    assert "1123068" in html
    # Breadcrumb back to the gu and to Seoul.
    assert 'href="/districts/gu/11230"' in html
    assert 'href="/districts"' in html
    # The other 21 centers of 강남구 are one click away.
    assert len(set(_links(html, "/districts/centers/")) - {"/districts/centers/1123068"}) == 21


def test_unknown_gu_is_a_korean_404_page(staff_client: TestClient) -> None:
    response = staff_client.get("/districts/gu/99999")
    assert response.status_code == 404
    assert "구 코드 99999를 찾을 수 없습니다" in response.text
    assert '<html lang="ko"' in response.text


def test_a_newly_added_gu_and_dong_appear_on_the_pages(
    staff_client: TestClient, session: Session
) -> None:
    gu = make_gu(session, name="시험구")
    make_dong(session, gu=gu, name="시험1동")
    assert len(set(_links(staff_client.get("/districts").text, "/districts/gu/"))) == 26
    assert "시험1동" in staff_client.get(f"/districts/gu/{gu.code}").text
