"""The database engine of a service: SQLAlchemy, with the durability every service needs."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event


def database_engine(url: str) -> Engine:
    """An engine for `url`. A SQLite file is opened in WAL mode with synchronous=FULL, so
    that every acknowledged commit survives a crash, and waits for a busy writer instead of
    failing at once; PostgreSQL is durable by its own settings."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Reads map the file (through the OS page cache) instead of copying page by page.
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()
