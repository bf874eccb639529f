"""Persistence: the engine and sessions (`engine`), the tables (`tables`), and the Alembic migrations."""
