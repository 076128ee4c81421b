"""Every click command of `secaudit`, one module per area; secaudit/cli.py only registers them.
Commands use secaudit.pipeline for reports and never import secaudit.cli."""

from __future__ import annotations

import click

from secaudit.commands import attest, audit, backup, collector, enroll, keys, playbooks, render, scan, schedule, submit

COMMANDS: tuple[click.Command, ...] = (audit.audit, audit.facts, audit.evaluate, playbooks.playbooks,
                                       backup.backup, keys.keys, keys.verify, render.render, scan.scan,
                                       enroll.enroll, submit.submit, collector.collector, schedule.schedule,
                                       attest.attest)

__all__ = ["COMMANDS"]
