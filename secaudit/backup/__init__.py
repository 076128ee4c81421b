"""Backup verification: freshness, retention, integrity, restore drills and off-site copies.

Kept light: `secaudit audit` imports only `budget` (durations in the config) and `sets`/`state`
(through the facts collector). The heavy engine is imported by `secaudit backup verify`.
"""
