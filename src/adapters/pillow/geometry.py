"""The fit arithmetic (`domain.fit`) as the renderer uses it, and its refusal of plans above
the output limit."""

from __future__ import annotations

from application.errors import OutputTooLarge
from domain.fit import Layout, Region, Size, above_output_limit, fitted, layout, with_window_at

__all__ = ["Layout", "Region", "Size", "check_output", "fitted", "layout", "with_window_at"]


def check_output(plan: Layout) -> None:
    """Refuse a plan whose canvas or intermediate image is above the output pixel limit."""
    size = above_output_limit(plan)
    if size is not None:
        raise OutputTooLarge(
            f"the result would be {size.width}x{size.height}, above 7680x4320 pixels"
        )
