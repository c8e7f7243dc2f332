"""Fixtures of the destination database (SQLite and PostgreSQL)."""
