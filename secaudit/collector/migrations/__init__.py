"""Alembic migrations of the collector database (run through secaudit.collector.migrate)."""
