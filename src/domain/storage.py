"""What the disk holds and what goes first when it is too full (ADR 22, ADR 23).

Popularity decays: each access counts 1 now and half as much every `half_life` seconds later.
A row keeps it as a *heat* `h = log2(sum of 2^(t_i / half_life))` over its access times `t_i`,
so the decayed score at any time `t` is `2^(h - t / half_life)` and ordering rows by heat is
ordering them by decayed score at every moment: a store can sort and rank on a plain column.
Heat 0 means "never accessed".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.request import ResultKey

NEVER = 0.0


def heated(heat: float, hits: int, now: float, half_life: float) -> float:
    """The heat after `hits` more accesses at `now`."""
    if hits <= 0:
        return heat
    added = now / half_life + math.log2(hits)
    if heat <= NEVER:
        return added
    high, low = max(heat, added), min(heat, added)
    return high + math.log2(1.0 + 2.0 ** (low - high))


def popularity(heat: float, now: float, half_life: float) -> float:
    """The decayed access score at `now` (0 for a result never accessed)."""
    if heat <= NEVER:
        return 0.0
    return float(2.0 ** min(heat - now / half_life, 1000.0))


@dataclass(frozen=True, slots=True)
class StoredResult:
    """One result on disk as the access index knows it (times in epoch seconds).

    `cost_seconds` is what producing it took (fetch and render), 0 when unknown; `source` the
    origin path it was made from, '' when unknown.
    """

    key: ResultKey
    format: str
    size: int
    created_at: float
    last_access_at: float
    access_count: int = 0
    heat: float = NEVER
    cost_seconds: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        if self.size < 0 or self.access_count < 0 or self.cost_seconds < 0:
            raise ValueError(f"negative size, count or cost in {self!r}")

    @property
    def last_used_at(self) -> float:
        """When it was last read, or stored if it never was."""
        return max(self.last_access_at, self.created_at)


class EvictionStrategy(StrEnum):
    """STORAGE_EVICTION_STRATEGY: which results leave the disk first."""

    LRU = "lru"  # least recently used
    LFU = "lfu"  # least often used
    SIZE = "size"  # largest
    AGE = "age"  # oldest
    INTELLIGENT = "intelligent"  # cold, old, large and cheap to make again

    @classmethod
    def parse(cls, text: str) -> EvictionStrategy:
        """A strategy by name; the Node service's `size-based` and `age-based` are accepted."""
        name = text.strip().lower().removesuffix("-based")
        try:
            return cls(name)
        except ValueError:
            allowed = ", ".join(strategy.value for strategy in cls)
            raise ValueError(f"unknown eviction strategy {text!r} (allowed: {allowed})") from None


class Aggressiveness(StrEnum):
    """STORAGE_EVICTION_AGGRESSIVENESS: how far below the warning size an eviction goes."""

    CONSERVATIVE = "conservative"
    MODERATE = "moderate"
    AGGRESSIVE = "aggressive"

    @property
    def target_fraction(self) -> float:
        """The share of the warning threshold an eviction brings the disk down to.

        The Node service multiplied its 20 % reduction by 0.8, 1 and 1.5.
        """
        return {"conservative": 0.84, "moderate": 0.8, "aggressive": 0.7}[self.value]


@dataclass(frozen=True, slots=True)
class EvictionPolicy:
    """How eviction orders results (STORAGE_EVICTION_*), and what it never touches.

    `grace_seconds`: a result read or stored this recently is in use (or its counts are not
    written yet) and is never chosen. With `preserve_popular`, the intelligent strategy takes
    results accessed `min_access_count` times or more only after every other one. The age
    strategy takes only results older than `age_seconds` (STORAGE_EVICTION_MAX_FILE_AGE_DAYS),
    as the Node service's did.
    """

    strategy: EvictionStrategy = EvictionStrategy.INTELLIGENT
    preserve_popular: bool = True
    min_access_count: int = 5
    half_life: float = 72 * 3600.0
    grace_seconds: float = 60.0
    age_seconds: float = 7 * 86_400.0

    def order(self, rows: Iterable[StoredResult], now: float) -> list[StoredResult]:
        """`rows` that may go, the first to go first."""
        movable = [row for row in rows if now - row.last_used_at >= self.grace_seconds]
        if self.strategy is EvictionStrategy.LRU:
            return sorted(movable, key=lambda row: (row.last_used_at, -row.size))
        if self.strategy is EvictionStrategy.LFU:
            return sorted(movable, key=lambda row: (row.access_count, row.last_used_at))
        if self.strategy is EvictionStrategy.SIZE:
            return sorted(movable, key=lambda row: (-row.size, row.last_used_at))
        if self.strategy is EvictionStrategy.AGE:
            old = [row for row in movable if now - row.created_at > self.age_seconds]
            return sorted(old, key=lambda row: (row.created_at, -row.size))
        return sorted(movable, key=lambda row: self._intelligent_rank(row, now))

    def keep_value(self, row: StoredResult, now: float) -> float:
        """What keeping `row` is worth per byte: decayed popularity times the cost of making
        it again (a floor of 50 ms for an unknown cost) over its size."""
        score = popularity(row.heat, now, self.half_life) + 0.01
        return score * (row.cost_seconds + 0.05) / max(row.size, 1)

    def _intelligent_rank(self, row: StoredResult, now: float) -> tuple[bool, float, float]:
        popular = self.preserve_popular and row.access_count >= self.min_access_count
        return popular, self.keep_value(row, now), row.created_at


@dataclass(frozen=True, slots=True)
class Footprint:
    """Bytes and files."""

    bytes: int = 0
    files: int = 0


def choose(ordered: Sequence[StoredResult], free: Footprint) -> list[StoredResult]:
    """The first of `ordered` that together free at least `free` bytes and files."""
    chosen: list[StoredResult] = []
    freed_bytes = 0
    for row in ordered:
        if freed_bytes >= free.bytes and len(chosen) >= free.files:
            break
        chosen.append(row)
        freed_bytes += row.size
    return chosen


class StorageLevel(StrEnum):
    """Where the disk stands against the STORAGE_* thresholds."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class StorageThresholds:
    """STORAGE_MAX_SIZE, STORAGE_WARNING_SIZE, STORAGE_CRITICAL_SIZE (bytes) and
    STORAGE_WARNING_FILE_COUNT, STORAGE_CRITICAL_FILE_COUNT."""

    max_size: int = 1_073_741_824
    warning_size: int = 838_860_800
    critical_size: int = 1_073_741_824
    warning_files: int = 5_000
    critical_files: int = 10_000

    def level(self, used: Footprint) -> StorageLevel:
        if (
            used.bytes >= min(self.critical_size, self.max_size)
            or used.files >= self.critical_files
        ):
            return StorageLevel.CRITICAL
        if used.bytes >= self.warning_size or used.files >= self.warning_files:
            return StorageLevel.WARNING
        return StorageLevel.OK

    def problems(self, used: Footprint) -> list[str]:
        """Each threshold `used` reaches, in words."""
        checks = (
            (used.bytes, self.max_size, "bytes", "STORAGE_MAX_SIZE"),
            (used.bytes, self.critical_size, "bytes", "STORAGE_CRITICAL_SIZE"),
            (used.bytes, self.warning_size, "bytes", "STORAGE_WARNING_SIZE"),
            (used.files, self.critical_files, "files", "STORAGE_CRITICAL_FILE_COUNT"),
            (used.files, self.warning_files, "files", "STORAGE_WARNING_FILE_COUNT"),
        )
        return [
            f"{value} {unit} >= {name} {limit}"
            for value, limit, unit, name in checks
            if value >= limit
        ]

    def target(self, aggressiveness: Aggressiveness) -> Footprint:
        """Where an eviction started by a threshold stops: a share of the warning levels."""
        fraction = aggressiveness.target_fraction
        size = min(self.warning_size, self.max_size)
        return Footprint(int(size * fraction), int(self.warning_files * fraction))


def to_free(used: Footprint, target: Footprint) -> Footprint:
    """How much must go for `used` to be within `target`."""
    return Footprint(max(0, used.bytes - target.bytes), max(0, used.files - target.files))


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """What cleanup removes: temporary files older than `temporary_seconds`, results not used
    for `unused_seconds` (STORAGE_MAX_FILE_AGE_DAYS), and files without rows (and rows
    without files) older than `orphan_seconds` (younger ones may be a batch not yet written)."""

    temporary_seconds: float = 86_400.0
    unused_seconds: float = 30 * 86_400.0
    orphan_seconds: float = 600.0

    def stale(self, row: StoredResult, now: float) -> bool:
        return now - row.last_used_at > self.unused_seconds
