"""Reports: the payload model (the contract) and its renderings."""

SCHEMA = "secaudit.report/v1"
