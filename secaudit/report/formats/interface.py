"""What an output format is (pip-audit's `_format/interface.py`): a name, a file suffix, whether its
bytes are binary, and two renderings: one host's report, or the consolidated report of a unit.

Every command that writes a report offers the formats of `secaudit.report.formats.FORMATS`; a new
format is one module here plus one line in that dict.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from secaudit.errors import SecauditError

if TYPE_CHECKING:
    from secaudit.report.official import DocInfo

Report = dict[str, Any]
Signature = dict[str, str]  # {keyid, fingerprint} of an envelope the caller verified


class RenderError(SecauditError):
    pass


@dataclass(frozen=True)
class RenderOptions:
    """What a rendering may be asked besides the reports; each format reads what concerns it."""

    lang: str = "vi"
    verbose: bool = False  # text: also list the passing checks
    doc: DocInfo | None = None  # pdf: the official header and signature block the school fills in
    signatures: Sequence[Signature | None] | None = None  # one per report, when its envelope was verified
    csv_delimiter: str = ","  # csv: ";" for Excel set to a Vietnamese regional format

    @property
    def language(self) -> str:
        return self.lang if self.lang in ("vi", "en") else "vi"

    def signature(self, index: int = 0) -> Signature | None:
        sigs = self.signatures or ()
        return sigs[index] if index < len(sigs) else None

    def signature_list(self) -> list[Signature | None] | None:
        return list(self.signatures) if self.signatures is not None else None


class Format(ABC):
    name: ClassVar[str]
    suffix: ClassVar[str]  # of the file it is written to, with the dot
    binary: ClassVar[bool] = False  # never written to a terminal: without -o it goes to a file named after the host
    terminal: ClassVar[bool] = False  # to standard output it is the terminal summary itself (colours on a terminal)
    description: ClassVar[str] = ""  # for --help

    @abstractmethod
    def render(self, report: Report, options: RenderOptions) -> bytes:
        """One host's report."""

    @abstractmethod
    def render_unit(self, reports: list[Report], options: RenderOptions) -> bytes:
        """Several hosts of one unit in one document (never called with no report)."""
