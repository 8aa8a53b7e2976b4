"""SQLAlchemy 2.x store: SQLite by default, PostgreSQL for multi-user hosting; Alembic migrations."""
