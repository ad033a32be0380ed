"""Whether bytes open an SVG document: a forward-only scan, safe on hostile input.

An SVG may open with a BOM, whitespace, an XML declaration, comments and a DOCTYPE (Illustrator
and Inkscape write one) before its root element. They are skipped by a scan that only moves
forward: a regular expression with nested repetition over this prologue backtracks
exponentially on a few dozen whitespace bytes, and holds the GIL (the whole server) meanwhile.
"""

from __future__ import annotations

import re

_SVG_ROOT = re.compile(rb"<svg[\s>/]", re.IGNORECASE)
_WHITESPACE = b" \t\r\n"
_PROLOGUE_PARTS = ((b"<?xml", b"?>"), (b"<!--", b"-->"))


def opens_an_svg(head: bytes) -> bool:
    """Whether `head` is an SVG root element after an optional BOM and prologue."""
    position = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while position < len(head):
        if head[position] in _WHITESPACE:
            position += 1
            continue
        after = _after_prologue_part(head, position)
        if after is None:
            return _SVG_ROOT.match(head, position) is not None
        position = after
    return False


def _after_prologue_part(head: bytes, position: int) -> int | None:
    """The offset after the declaration, comment or DOCTYPE at `position`; None if none is."""
    for opening, closing in _PROLOGUE_PARTS:
        if head.startswith(opening, position):
            end = head.find(closing, position + len(opening))
            return len(head) if end < 0 else end + len(closing)
    if head[position : position + 9].upper() == b"<!DOCTYPE":
        bracket, close = head.find(b"[", position), head.find(b">", position)
        if 0 <= bracket < close:  # an internal subset: its end, then the DOCTYPE's
            subset_end = head.find(b"]", bracket)
            close = head.find(b">", subset_end) if subset_end >= 0 else -1
        return len(head) if close < 0 else close + 1
    return None
