"""Opening a store: location, URLs, redaction, migrations, lazy SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flow.errors import SchemaVersionError, StoreError, StoreURLError
from flow.store import MetadataStore
from flow.store._migrations import SCHEMA_VERSION
from flow.store._url import redact_url
from flow.testing.postgres import PostgresServer


def test_default_location_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOW_DATABASE_URL", raising=False)
    project = tmp_path / "proj"
    project.mkdir()
    with MetadataStore.open(project_dir=project) as store:
        assert store.dialect == "sqlite"
        assert store.url == f"sqlite:///{project / '.flow' / 'flow.db'}"
    db = project / ".flow" / "flow.db"
    assert db.exists()
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert (
            conn.exec_driver_sql("SELECT max(version) FROM flow_schema").scalar() == SCHEMA_VERSION
        )
    engine.dispose()


def test_cwd_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOW_DATABASE_URL", raising=False)
    with MetadataStore.open() as store:
        assert store.url.endswith(f"{tmp_path}/.flow/flow.db")
    other = tmp_path / "elsewhere.db"
    monkeypatch.setenv("FLOW_DATABASE_URL", f"sqlite:///{other}")
    with MetadataStore.open(project_dir=tmp_path / "ignored") as store:
        assert store.url == f"sqlite:///{other}"
    assert other.exists()
    assert not (tmp_path / "ignored").exists()


def test_in_memory(tmp_path: Path) -> None:
    with MetadataStore.open("sqlite://") as store:
        rid = store.create_run(kind="k", target="t")
        assert store.get_run(rid) is not None


@pytest.mark.parametrize(
    "url",
    ["mysql://u:hunter2@db/x", "nonsense", "redis://u:hunter2@h/0"],
)
def test_unsupported_urls_are_refused_without_secrets(url: str) -> None:
    with pytest.raises(StoreURLError) as info:
        MetadataStore.open(url)
    assert "hunter2" not in str(info.value)
    assert "postgresql://" in str(info.value)


def test_redaction() -> None:
    assert redact_url("postgresql://ana:s3cr3t@h:5432/db") == "postgresql://ana:***@h:5432/db"
    assert (
        redact_url("postgresql://h/db?password=s3cr3t&x=1") == "postgresql://h/db?password=***&x=1"
    )
    assert redact_url("sqlite:////tmp/a.db") == "sqlite:////tmp/a.db"


def test_unreachable_postgres_names_redacted_url() -> None:
    from flow.testing import free_port

    url = f"postgresql://ana:s3cr3t@127.0.0.1:{free_port()}/db?connect_timeout=2"
    with pytest.raises(StoreError) as info:
        MetadataStore.open(url)
    text = str(info.value)
    assert "s3cr3t" not in text
    assert "ana:***@127.0.0.1" in text


def test_password_is_redacted_in_store_url(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database()
    with_password = url.replace("postgres@", "postgres:hunter2@")  # trust auth ignores it
    try:
        with MetadataStore.open(with_password) as store:
            assert store.dialect == "postgresql"
            assert "hunter2" not in store.url
            assert "postgres:***@" in store.url
            assert "hunter2" not in repr(store)
    finally:
        postgres_server.drop_database(url)


def test_reopen_keeps_data_and_version(store_url: str) -> None:
    with MetadataStore.open(store_url) as store:
        rid = store.create_run(kind="materialize", target="a")
    with MetadataStore.open(store_url) as store:
        assert store.get_run(rid) is not None
        assert store.schema_version == SCHEMA_VERSION
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT version FROM flow_schema").scalars().all()
    engine.dispose()
    assert versions == list(range(1, SCHEMA_VERSION + 1))  # each migration applied once


def test_newer_schema_is_refused(store_url: str) -> None:
    MetadataStore.open(store_url).close()
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO flow_schema (version, description, applied_at) "
            f"VALUES ({SCHEMA_VERSION + 5}, 'from the future', CURRENT_TIMESTAMP)"
        )
    engine.dispose()
    with pytest.raises(SchemaVersionError) as info:
        MetadataStore.open(store_url)
    text = str(info.value)
    assert f"schema version {SCHEMA_VERSION + 5}" in text
    assert f"up to {SCHEMA_VERSION}" in text
    assert "upgrade flow-core" in text


def test_concurrent_open_of_a_new_database(store_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def open_it() -> None:
        try:
            barrier.wait(timeout=10)
            with MetadataStore.open(store_url) as store:
                store.create_run(kind="k", target="t")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with MetadataStore.open(store_url) as store:
        assert len(store.list_materializations()) == 0
        engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM flow_runs").scalar() == 6
            assert (
                conn.exec_driver_sql("SELECT count(*) FROM flow_schema").scalar() == SCHEMA_VERSION
            )
        engine.dispose()


def test_import_does_not_load_sqlalchemy() -> None:
    code = (
        "import sys, flow, flow.store\n"
        "from flow.store import MetadataStore, Status\n"
        "assert 'sqlalchemy' not in sys.modules, 'flow.store imported sqlalchemy'\n"
        "import tempfile; MetadataStore.open(project_dir=tempfile.mkdtemp()).close()\n"
        "assert 'sqlalchemy' in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
