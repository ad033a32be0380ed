"""The SVG prologue scan shared by the origin's byte caps and the Pillow sniffer."""

from __future__ import annotations

import pytest

from domain.originals import OriginalFormat, sniff_original
from domain.svg_prologue import opens_an_svg


@pytest.mark.parametrize(
    "head",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"\xef\xbb\xbf  <?xml version='1.0'?>\n<!-- made by hand -->\n<svg>",
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n<SVG width="1">',
        b"<!DOCTYPE svg [ <!ELEMENT svg ANY> ]>\n<svg/>",
    ],
)
def test_an_svg_is_recognised_after_any_prologue(head: bytes) -> None:
    assert opens_an_svg(head)
    assert sniff_original(head) is OriginalFormat.SVG


@pytest.mark.parametrize(
    "head",
    [
        b" " * 8192,  # a backtracking pattern hung the whole server on a few dozen of these
        b"\n\t" * 4096 + b"<svgx>",
        b"<!--" + b" " * 8000,
        b"<html><svg></svg></html>",
        b"",
    ],
)
def test_anything_else_is_not_an_svg(head: bytes) -> None:
    assert not opens_an_svg(head)
    assert sniff_original(head) is None
