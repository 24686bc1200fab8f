"""The store: one DuckDB file by default (PostgreSQL by URL), reached only through Ibis."""

from chiso.store.connection import Store

__all__ = ["Store"]
