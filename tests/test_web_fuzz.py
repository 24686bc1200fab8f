"""Bounded fuzzing of the web application, in-process: schemathesis over the API's own OpenAPI schema (valid and
invalid inputs, every operation, logged in with a session cookie) and random query strings on every page. No
answer may be a server error, and every refusal is the API's Vietnamese JSON error (issue 10, item 6).

Derandomised (fixed seed): the same cases run on every machine. Bounded: ``EXAMPLES`` per operation and mode.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from chiso.web import WebOptions, create_app
from tests.web_support import csrf_of, login

EXAMPLES = 25
KNOWN_UNIT = "H21.227"  # a commune with official results and local dossiers: reaches the deeper code paths
ENGLISH = re.compile(r"Input should|Field required|Internal Server Error|Traceback|Exception")
BOUNDED = settings(
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
    suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
)  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_app(web_local_db: Path, tmp_path_factory):
    """The web test store with official results and a small dossier dataset (tests.web_support)."""
    folder = tmp_path_factory.mktemp("fuzz")
    db = folder / "web.duckdb"
    shutil.copy(web_local_db, db)
    app = create_app(WebOptions(db=str(db), data_dir=folder / "data"))
    yield app
    app.state.web.close()


@pytest.fixture(scope="module")
def session(fuzz_app) -> dict[str, str]:
    """An administrator's session (every endpoint is open to it): the cookie and its CSRF token."""
    browser = login(TestClient(fuzz_app, follow_redirects=False), "quantri")
    return {"cookie": browser.cookies["chiso_session"], "csrf": csrf_of(browser.get("/").text)}


def _check(label: str, status: int, content_type: str, body: bytes, problems: list[str]) -> None:
    if status >= 500:
        problems.append(f"{label}: {status} {body[:200]!r}")
    elif status >= 400 and content_type.startswith("application/json"):
        data = json.loads(body)
        if data.get("status") != status or not data.get("error") or ENGLISH.search(str(data)):
            problems.append(f"{label}: {status} {data}")


def _fuzz(app, session: dict[str, str], strategy, name: str, statuses: Counter[int], problems: list[str]) -> None:
    """Run one operation's strategy: every answer counted and checked."""

    @given(case=strategy)
    @BOUNDED
    def run(case) -> None:
        response = case.call(
            app=app, headers={"X-CSRF-Token": session["csrf"]}, cookies={"chiso_session": session["cookie"]}
        )
        statuses[response.status_code] += 1
        label = f"{name} {case.as_curl_command()}"
        content_type = (response.headers.get("content-type") or [""])[0]  # schemathesis: a list per header
        _check(label, response.status_code, content_type, response.content, problems)

    with contextlib.suppress(Unsatisfiable):  # no invalid input exists (an operation without parameters)
        run()


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(fuzz_app, session):
    schema = schemathesis.openapi.from_dict(fuzz_app.openapi())
    problems: list[str] = []
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        fixed = [None] + ([{"code": KNOWN_UNIT}] if "{code}" in operation.path else [])
        for path_parameters in fixed:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
                _fuzz(fuzz_app, session, strategy, f"{operation.label} ({mode})", statuses, problems)
    assert problems == []
    assert sum(statuses.values()) >= 800, statuses
    assert statuses[200] >= 50 and statuses[400] >= 200, statuses  # both valid and refused inputs were tried


PAGES = ["/", "/ranking", f"/units/{KNOWN_UNIT}", f"/units/{KNOWN_UNIT}/dossiers", "/due", "/letters",
         "/methodology", "/history", "/admin/audit"]  # fmt: skip
PARAMS = ["unit", "period", "parent", "kind", "band", "by", "source", "metric", "gap_only", "status", "search",
          "page", "hours", "name", "action"]  # fmt: skip
# Values schemathesis does not make from the schema (text where numbers go, 1e999999, NUL, huge integers).
AWKWARD_TEXT = ["", "x\x00", "2026-13", "99999999999999999999", "1e999999", "'", "<script>", "../.."]
AWKWARD_NUMBER = ["abc", "", "-1", "-0", "99999999999999999999", "nan", "inf", "1e309", "1e999999", "1e-999999"]
VALUES = st.sampled_from(AWKWARD_TEXT + AWKWARD_NUMBER + ["H21", "VN", "total", "TDGQ", "ON_TIME", "2026"]) | st.text(
    max_size=12
)


@pytest.mark.slow
def test_every_api_parameter_takes_awkward_values_without_a_server_error(fuzz_app, session):
    """Every query parameter of every GET operation, one at a time, with every awkward value of its type."""
    browser = TestClient(fuzz_app, follow_redirects=False, raise_server_exceptions=False)
    browser.cookies.set("chiso_session", session["cookie"])
    problems: list[str] = []
    tried = 0
    for path, item in fuzz_app.openapi()["paths"].items():
        url = path.replace("{code}", KNOWN_UNIT)
        if "get" not in item or "{" in url or url.endswith(".csv"):  # the CSV takes the list's filters, same code
            continue
        for parameter in item["get"].get("parameters", []):
            if parameter["in"] != "query":
                continue
            numeric = parameter["schema"].get("type") in ("integer", "number", "boolean") or any(
                s.get("type") in ("integer", "number") for s in parameter["schema"].get("anyOf", [])
            )
            for value in AWKWARD_NUMBER if numeric else AWKWARD_TEXT:
                response = browser.get(url, params={parameter["name"]: value})
                tried += 1
                label = f"{url}?{parameter['name']}={value!r}"
                _check(label, response.status_code, response.headers.get("content-type", ""), response.content,
                       problems)  # fmt: skip
    assert problems == []
    assert tried >= 200


@pytest.mark.slow
def test_pages_answer_random_query_strings_without_a_server_error(fuzz_app, session):
    browser = TestClient(fuzz_app, follow_redirects=False, raise_server_exceptions=False)
    browser.cookies.set("chiso_session", session["cookie"])
    problems: list[str] = []
    seen: Counter[int] = Counter()

    @given(path=st.sampled_from(PAGES), query=st.dictionaries(st.sampled_from(PARAMS), VALUES, max_size=4))
    @settings(BOUNDED, max_examples=300)
    def run(path: str, query: dict[str, str]) -> None:
        response = browser.get(path, params=query)
        seen[response.status_code] += 1
        if response.status_code >= 500:
            problems.append(f"{path} {query}: {response.status_code}")
        elif response.status_code == 400 and not re.search(r'class="(error|notice)"', response.text):
            problems.append(f"{path} {query}: 400 without a message")

    run()
    assert problems == []
    assert seen[200] >= 50 and seen[400] >= 20, seen
