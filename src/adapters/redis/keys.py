"""Where each kind of data lives in Redis: every key starts with the node group's prefix."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from domain.request import ImageSource, ResultKey

_GLOB_SPECIAL = frozenset("*?[]\\^-")


def _glob_literal(text: str) -> str:
    return "".join("\\" + char if char in _GLOB_SPECIAL else char for char in text)


@dataclass(frozen=True, slots=True)
class RedisKeys:
    """Key names under `prefix` (e.g. `media-stream:`); tenants never hold `:` or globs.

    - `{prefix}result:{tenant}:{digest}`   a result (bytes and metadata, with a TTL)
    - `{prefix}missing:{tenant}:{digest}`  an original the origin does not have (with a TTL)
    - `{prefix}lease:{name}`               who is producing a result now (with a short TTL)
    - `{prefix}access`                     sorted set of `{tenant}:{digest}` by access count
    - `{prefix}flush`                      the pub/sub channel of tenant flushes
    """

    prefix: str

    def result(self, key: ResultKey) -> str:
        return f"{self.prefix}result:{key.tenant}:{key.digest}"

    def results_of(self, tenant: str | None = None) -> str:
        """A SCAN pattern for one tenant's results, or every result."""
        return f"{_glob_literal(self.prefix)}result:{tenant or '*'}:*"

    def missing(self, source: ImageSource) -> str:
        digest = hashlib.sha256(f"{source.kind.value}\n{source.path}".encode()).hexdigest()
        return f"{self.prefix}missing:{source.tenant}:{digest[:40]}"

    def missing_of(self, tenant: str) -> str:
        return f"{_glob_literal(self.prefix)}missing:{tenant}:*"

    def lease(self, name: str) -> str:
        return f"{self.prefix}lease:{name}"

    @property
    def access(self) -> str:
        return f"{self.prefix}access"

    @property
    def flushes(self) -> str:
        return f"{self.prefix}flush"

    @property
    def everything(self) -> str:
        """A SCAN pattern for every key of this prefix."""
        return f"{_glob_literal(self.prefix)}*"
