"""Hostile-input corpus (issue 9): one file per class of defect, several variants each.

Each test asserts the class's promise: bounded memory, an exit within a deadline, nothing written
outside the target, no `pass` without evidence, one clear sentence and exit 2 for bad input.
"""
