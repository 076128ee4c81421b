"""The DSSE payload types secaudit signs and accepts (no imports: every sign module may read them)."""

from __future__ import annotations

REPORT_TYPE = "application/vnd.secaudit.report.v1+json"
KEYROTATE_TYPE = "application/vnd.secaudit.keyrotate.v1+json"
ENROLL_TYPE = "application/vnd.secaudit.enroll.v1+json"  # an agent's enrollment request, signed by its new key
RECEIPT_TYPE = "application/vnd.secaudit.receipt.v1+json"  # a collector's receipt for a report, signed by it
RECEIPT_PAYLOAD_SCHEMA = "secaudit.signed-receipt/v1"  # the `schema` of a RECEIPT_TYPE payload
