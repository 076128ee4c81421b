"""Reports: the payload model (the contract) and its renderings (report/formats/)."""

SCHEMA = "secaudit.report/v1"
