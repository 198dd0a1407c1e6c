"""The app store on SQLite and on a real PostgreSQL: migrations, hashed secrets, workspace scoping."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from suara.store.app import (
    AppStore,
    Role,
    WorkspaceRepo,
    create_workspace,
    find_api_key,
    find_user,
    hash_api_key,
    verify_password,
)
from tests.conftest import need_service

PG_URL = os.environ.get("SUARA_TEST_POSTGRES_URL")


def _pg_reachable() -> bool:
    if not PG_URL:
        return False
    try:
        store = AppStore(PG_URL)
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        store.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppStore]:
    if request.param == "sqlite":
        s = AppStore(f"sqlite:///{tmp_path / 'app.db'}")
    else:
        need_service(_pg_reachable(), "PostgreSQL (set SUARA_TEST_POSTGRES_URL)")
        s = AppStore(str(PG_URL))
        with s.engine.begin() as conn:  # a clean schema for every test, whichever feature tables exist
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    s.migrate()
    yield s
    s.dispose()


def test_migrations_create_every_table_and_are_repeatable(store: AppStore) -> None:
    store.migrate()
    tables = set(inspect(store.engine).get_table_names())
    assert {"workspaces", "users", "api_keys", "surveys", "survey_versions", "cases", "alembic_version"} <= tables


def test_api_keys_are_stored_hashed(store: AppStore) -> None:
    with store.session() as s:
        ws = create_workspace(s, "acme", "Acme")
        row, key = WorkspaceRepo(s, ws.id).create_api_key("ingest", Role.agent)
    with store.engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(text("SELECT key_hash, prefix FROM api_keys"))]
    assert stored == [(hash_api_key(key), key[:11])]
    assert key not in str(stored)
    with store.session() as s:
        found = find_api_key(s, key)
        assert found is not None and found.workspace_id == ws.id and found.role == "agent"
        assert find_api_key(s, key + "x") is None


def test_passwords_are_salted_hashes(store: AppStore) -> None:
    with store.session() as s:
        ws = create_workspace(s, "acme", "Acme")
        WorkspaceRepo(s, ws.id).add_user("Ana@Example.com", "correct horse", Role.analyst)
    with store.session() as s:
        (user,) = find_user(s, "ana@example.com")
        assert "correct horse" not in user.password_hash
        assert verify_password("correct horse", user.password_hash)
        assert not verify_password("wrong", user.password_hash)


def test_repo_is_scoped_to_its_workspace(store: AppStore) -> None:
    with store.session() as s:
        a, b = create_workspace(s, "a", "A"), create_workspace(s, "b", "B")
        WorkspaceRepo(s, a.id).save_survey("nps", "A's NPS", {"v": 1})
        WorkspaceRepo(s, b.id).save_survey("nps", "B's NPS", {"v": 1})
        WorkspaceRepo(s, b.id).save_survey("nps", "B's NPS", {"v": 2})
        case = WorkspaceRepo(s, b.id).open_case("cust-1", "late delivery")
    with store.session() as s:
        repo_a = WorkspaceRepo(s, a.id)
        assert [x.name for x in repo_a.surveys()] == ["A's NPS"]
        survey = repo_a.survey("nps")
        assert survey is not None and len(repo_a.survey_versions(survey)) == 1
        assert repo_a.cases() == [] and repo_a.case(case.id) is None
        repo_b = WorkspaceRepo(s, b.id)
        b_survey = repo_b.survey("nps")
        assert b_survey is not None and [v.version for v in repo_b.survey_versions(b_survey)] == [1, 2]
        assert repo_b.case(case.id) is not None


def test_a_failed_transaction_writes_nothing(store: AppStore) -> None:
    with store.session() as s:
        create_workspace(s, "acme", "Acme")
    with pytest.raises(IntegrityError), store.session() as s:
        create_workspace(s, "other", "Other")
        create_workspace(s, "acme", "Duplicate slug")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM workspaces")).scalar() == 1
