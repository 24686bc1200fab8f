"""Helpers for the web tests: a store with the real samples and one user per role, clients that log in."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from chiso.accounts import Accounts
from chiso.web import WebOptions, create_app
from chiso.workspace import Workspace

PASSWORD = "mat-khau-thu-nghiem"
# name → (role, unit)
USERS = {
    "quantri": ("admin", None),
    "vanphong": ("staff", "H21"),
    "vancanh": ("viewer", "H21.227"),  # a commune of Gia Lai
    "gialai": ("viewer", "H21"),  # the province: its agencies and communes
    "sonoivu": ("viewer", "H01.01"),  # an agency of An Giang
}


def prepare(real_db: Path, target: Path) -> Path:
    shutil.copy(real_db, target)
    ws = Workspace(db=target)
    accounts = Accounts(ws)
    for name, (role, unit) in USERS.items():
        accounts.save(name, role=role, unit=unit, password=PASSWORD, by="test")
    ws.close()
    return target


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def make_client(db: Path, data_dir: Path, **options) -> TestClient:
    app = create_app(WebOptions(db=str(db), data_dir=data_dir, **options))
    return TestClient(app, follow_redirects=False)


def login(client: TestClient, name: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/login")
    response = client.post(
        "/login", data={"username": name, "password": password, "csrf": csrf_of(page.text), "next": "/"}
    )
    assert response.status_code == 303, response.text
    return client


def page_csrf(client: TestClient, path: str = "/") -> str:
    return csrf_of(client.get(path).text)
