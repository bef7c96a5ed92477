"""A worker works on at most `requests_per_worker` requests at once; the others wait their
turn and are all answered. Static files do not queue."""

from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx2
from fastapi import FastAPI

from bigcare.app import RequestLimit

CALLS = 8


def _counting_app() -> tuple[FastAPI, dict[str, int]]:
    app = FastAPI()
    seen = {"now": 0, "most": 0}

    async def work() -> dict[str, int]:
        seen["now"] += 1
        seen["most"] = max(seen["most"], seen["now"])
        await anyio.sleep(0.02)
        seen["now"] -= 1
        return {"ok": 1}

    app.add_api_route("/page", work)
    app.add_api_route("/static/site.css", work)
    return app, seen


def _fire(app: object, path: str) -> list[int]:
    statuses: list[int] = []

    async def main() -> None:
        transport = httpx2.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx2.AsyncClient(transport=transport, base_url="http://t") as client:

            async def one() -> None:
                statuses.append((await client.get(path)).status_code)

            async with anyio.create_task_group() as group:
                for _ in range(CALLS):
                    group.start_soon(one)

    # A thread of its own: earlier tests (Playwright's sync API) may leave an event loop
    # running in this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(anyio.run, main).result()
    return statuses


def test_requests_beyond_the_limit_wait_and_are_all_answered() -> None:
    app, seen = _counting_app()
    statuses = _fire(RequestLimit(app, limit=2), "/page")
    assert statuses == [200] * CALLS
    assert seen["most"] == 2


def test_static_files_do_not_queue() -> None:
    app, seen = _counting_app()
    statuses = _fire(RequestLimit(app, limit=1), "/static/site.css")
    assert statuses == [200] * CALLS
    assert seen["most"] > 1
