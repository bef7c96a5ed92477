"""Locust load of `bigcare bench web`: caseworkers opening person pages, searching and going
home, at a steady total rate with Poisson arrivals. Run by the bench command (headless); the
plan file it names in BIGCARE_BENCH_PLAN gives each simulated caseworker a session, a dong's
person ids and search terms, and the rate each user keeps."""

import itertools
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, task

_PLAN: dict[str, Any] = json.loads(Path(os.environ["BIGCARE_BENCH_PLAN"]).read_text("utf-8"))
_NEXT = itertools.count()


class Caseworker(FastHttpUser):
    """One signed-in caseworker of one dong (sessions are made by the bench, not a login)."""

    rate = float(_PLAN["rate_per_user"])

    def on_start(self) -> None:
        accounts = _PLAN["accounts"]
        me = accounts[next(_NEXT) % len(accounts)]
        # Cookie header, not the cookie jar: the session cookie is Secure outside the demo
        # and the bench talks plain http to 127.0.0.1.
        self.headers = {
            "Cookie": f"{_PLAN['cookie']}={me['token']}",
            "X-CSRF-Token": me["csrf"],
        }
        self.person_ids: list[int] = me["person_ids"]
        self.terms: list[str] = me["terms"]
        self.rng = random.Random(me["token"])  # noqa: S311 (load pattern, not security)
        # Spawned together, all would ask at once: the first request waits its turn too.
        self.next_at = time.monotonic() + self.rng.expovariate(self.rate)
        gevent.sleep(self.next_at - time.monotonic())

    def wait_time(self) -> float:
        # Independent caseworkers: each one's requests are a Poisson process, so together they
        # are one at the total rate. The next request is due an exponential gap after the one
        # before was due, not after its answer came: Locust's constant_throughput keeps every
        # user's phase, so one slow second left all of them asking in the same instant, once a
        # second, for the rest of the run (bursts of 20, not 20 a second).
        now = time.monotonic()
        self.next_at += self.rng.expovariate(self.rate)
        if self.next_at < now - 1 / self.rate:
            self.next_at = now  # far behind (a slow answer): no burst to catch up
        return max(0.0, self.next_at - now)

    def _get(self, path: str, name: str, params: dict[str, str] | None = None) -> None:
        # A lost session redirects to the login page, which would count as a fast success.
        with self.client.get(
            path,
            params=params,
            name=name,
            headers=self.headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif "text/html" not in response.headers.get("content-type", ""):
                response.failure("not an HTML page")

    @task(5)
    def person_page(self) -> None:
        self._get(f"/persons/{self.rng.choice(self.person_ids)}", "GET /persons/{id}")

    @task(3)
    def search(self) -> None:
        self._get("/persons", "GET /persons?q=", {"q": self.rng.choice(self.terms)})

    @task(2)
    def home(self) -> None:
        self._get("/", "GET /")
