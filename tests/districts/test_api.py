"""The districts JSON API."""

from fastapi.testclient import TestClient


def test_gu_list_has_25_gu_and_424_dongs_in_all(staff_client: TestClient) -> None:
    response = staff_client.get("/api/v1/districts/gu")
    assert response.status_code == 200
    gus = response.json()
    assert len(gus) == 25
    assert sum(g["dong_count"] for g in gus) == 424
    first = gus[0]
    assert (first["code"], first["name"], first["dong_count"]) == ("11230", "강남구", 22)
    # A gu's point is the mean of its dongs' points: inside Seoul.
    assert 37.4 < first["lat"] < 37.7 and 126.7 < first["lon"] < 127.2


def test_gu_detail_lists_its_dongs(staff_client: TestClient) -> None:
    body = staff_client.get("/api/v1/districts/gu/11230").json()
    assert body["name"] == "강남구"
    assert body["dong_count"] == len(body["dongs"]) == 22
    assert {
        "code": "1123068",
        "name": "개포1동",
        "gu_code": "11230",
        "lat": 37.480174,
        "lon": 127.059095,
    } in body["dongs"]


def test_dongs_can_be_filtered_by_gu(staff_client: TestClient) -> None:
    assert len(staff_client.get("/api/v1/districts/dongs").json()) == 424
    jongno = staff_client.get("/api/v1/districts/dongs", params={"gu_code": "11010"}).json()
    assert jongno and {d["gu_code"] for d in jongno} == {"11010"}


def test_dong_and_center_detail(staff_client: TestClient) -> None:
    dong = staff_client.get("/api/v1/districts/dongs/1123068").json()
    assert dong["gu_name"] == "강남구"
    assert dong["center"]["name"] == "개포1동 주민센터"
    center = staff_client.get("/api/v1/districts/centers/1123068").json()
    assert center["id"] == dong["center"]["id"]
    assert (center["dong_name"], center["gu_name"]) == ("개포1동", "강남구")


def test_unknown_codes_are_json_404s_with_a_korean_detail(staff_client: TestClient) -> None:
    for path in ("/api/v1/districts/gu/99999", "/api/v1/districts/centers/0000000"):
        response = staff_client.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert "찾을 수 없습니다" in response.json()["detail"]
