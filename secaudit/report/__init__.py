"""Reports: the payload model (the contract) and its renderings."""

SCHEMA = "secaudit.report/v1"
RENDER_FORMATS = ("html", "md", "pdf", "sarif", "csv")  # renderings of a payload (secaudit render)
OUTPUT_FORMATS = ("text", "json", *RENDER_FORMATS)  # what audit/scan/backup print or write
