"""secaudit: information-security compliance auditor for school networks."""

__version__ = "0.1.0"
