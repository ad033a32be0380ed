"""The PostgreSQL on this machine (127.0.0.1:5432, user postgres), with a database per test run.

`private_database()` creates `mstest_<random>` and drops it afterwards; it skips the test when
no PostgreSQL answers (`.ci/run` starts the machine's cluster when it is down).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

ADMIN_URL = os.environ.get(
    "MEDIA_STREAM_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def private_database() -> Iterator[str]:
    """The URL of a fresh database (plain `postgresql://`, as an operator writes it)."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"mstest_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL at {ADMIN_URL}: {exc}")
    try:
        yield admin.url.set(drivername="postgresql", database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
