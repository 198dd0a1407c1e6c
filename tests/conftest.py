"""Shared fixtures: small declarative data, a runtime on a temp folder, services that CI must provide."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import Role, WorkspaceRepo, create_workspace

ON_CI = os.environ.get("CI", "").lower() == "true"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def need_service(available: bool, what: str) -> None:
    """Skip a test whose service is missing on a developer machine; fail it on CI, where it must run."""
    if available:
        return
    if ON_CI:
        pytest.fail(f"{what} is required on CI (CI=true); .ci/run should have provisioned it")
    pytest.skip(f"{what} is not available here")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.open(settings)
    yield rt
    rt.close()


class Tenant:
    """A workspace with an admin key, for tests that call the API."""

    def __init__(self, rt: Runtime, slug: str, role: Role = Role.admin) -> None:
        with rt.app.session() as s:
            ws = create_workspace(s, slug, slug.title())
            _, self.key = WorkspaceRepo(s, ws.id).create_api_key("test", role)
            self.workspace_id = ws.id
        self.headers = {"Authorization": f"Bearer {self.key}"}


def response(customer: str, at: str, **answers: Any) -> dict[str, Any]:
    """A response document: `response("ana", "2026-01-05", nps=9, comment="great", fields={...})`."""
    fields = answers.pop("fields", {})
    extra = {k: answers.pop(k) for k in ("response_id", "touchpoint", "channel", "locale", "survey_id") if k in answers}
    items = [{"kind": k, "text": v} if k == "comment" else {"kind": k, "number": v} for k, v in answers.items()]
    return {"customer_id": customer, "submitted_at": f"{at}T12:00:00Z", "answers": items, "fields": fields, **extra}


def identify(customer: str, at: str = "2026-01-01", **traits: Any) -> dict[str, Any]:
    return {"type": "identify", "userId": customer, "timestamp": f"{at}T00:00:00Z", "traits": traits}


# -- exit ---------------------------------------------------------------------------------------------------------
_EXIT_STATUS = {"code": 0}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS["code"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave with pytest's own status once its report is printed: native threads left by the engines the suite
    drives (DuckDB, chdb, the Spark gateway, the browser driver) can abort in C++ teardown at interpreter exit
    ("terminate called without an active exception"), which would turn a finished run's status into SIGABRT."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_EXIT_STATUS["code"])
