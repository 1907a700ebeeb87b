"""The PostgreSQL fixture gives a real, private, writable database on a real server."""

from __future__ import annotations

import psycopg
from sqlalchemy import create_engine, text

from tests.fixtures.postgres import DB_PREFIX, libpq_url, sqlalchemy_url


def test_database_is_real_and_writable(pg_database_url: str) -> None:
    assert pg_database_url.startswith("postgresql+psycopg://")
    engine = create_engine(pg_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE shelf (id serial PRIMARY KEY, isil text NOT NULL, title text NOT NULL)"))
            conn.execute(
                text("INSERT INTO shelf (isil, title) VALUES (:isil, :title)"),
                [
                    {"isil": "CN-330000-ZJL", "title": "浙江图书馆藏书目录"},
                    {"isil": "CN-310000-SHL", "title": "Shanghai Library catalogue"},
                ],
            )
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT isil, title FROM shelf ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [
                ("CN-330000-ZJL", "浙江图书馆藏书目录"),
                ("CN-310000-SHL", "Shanghai Library catalogue"),
            ]
            database = conn.execute(text("SELECT current_database()")).scalar_one()
            assert database.startswith(DB_PREFIX)
            assert pg_database_url.endswith("/" + database)
            assert conn.execute(text("SHOW server_encoding")).scalar_one() == "UTF8"
            version_num = int(conn.execute(text("SHOW server_version_num")).scalar_one())
            assert version_num >= 130000, "DROP DATABASE ... WITH (FORCE) needs PostgreSQL 13+"
            assert conn.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()


def test_database_is_listed_on_the_admin_connection(pg_admin_url: str, pg_database_url: str) -> None:
    name = pg_database_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_admin_url) as admin:
        found = admin.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()
    assert found == (1,)


def test_url_spellings_are_normalised() -> None:
    assert libpq_url("postgres://u:p@h:5/d") == "postgresql://u:p@h:5/d"
    assert libpq_url("postgresql+psycopg://u@h:5/d") == "postgresql://u@h:5/d"
    assert sqlalchemy_url("postgresql://u:p@h:5/admin", database="x") == "postgresql+psycopg://u:p@h:5/x"
