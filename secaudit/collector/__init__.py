"""The collector: the server that enrolls agents, receives their signed reports and answers the
department's questions (FastAPI + SQLAlchemy 2; SQLite by default, PostgreSQL for a province).

It sits beside `secaudit.agent`, above the pipeline; the two speak HTTP and never import each other.
FastAPI and SQLAlchemy are imported only under this package, never on the `secaudit audit` path.
"""
