"""Keeping metric label values few: a budget of distinct values per label."""

from __future__ import annotations

OTHER = "_other"


class LabelBudget:
    """Lets the first `limit` distinct values of a label through; later ones read `_other`.

    Metrics adapters use it for open-ended labels such as tenants, so a flood of unknown
    values cannot grow the exposition without bound. The empty value always passes.
    """

    def __init__(self, limit: int = 500) -> None:
        if limit < 0:
            raise ValueError(f"a label budget is >= 0, got {limit}")
        self._limit = limit
        self._seen: set[str] = set()

    def __call__(self, value: str) -> str:
        if not value or value in self._seen:
            return value
        if len(self._seen) >= self._limit:
            return OTHER
        self._seen.add(value)
        return value
