"""Health of the image codecs: the Pillow features the output formats need are built in."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PIL import features

from application.ports.health import HealthIndicator, HealthReport, HealthStatus

# output format -> the Pillow feature (module or codec) that encodes and decodes it
REQUIRED_FEATURES = {"jpeg": "jpg", "png": "zlib", "webp": "webp", "avif": "avif"}


class PillowCodecsIndicator(HealthIndicator):
    """`codecs`: `down` when Pillow lacks a codec an output format needs, naming it."""

    def __init__(
        self,
        required: Mapping[str, str] = REQUIRED_FEATURES,
        check: Callable[[str], bool | None] = features.check,
    ) -> None:
        self._required = dict(required)
        self._check = check

    @property
    def name(self) -> str:
        return "codecs"

    async def check(self) -> HealthReport:
        present = {fmt: bool(self._check(feature)) for fmt, feature in self._required.items()}
        missing = [fmt for fmt, ok in present.items() if not ok]
        details: dict[str, str | bool] = {**present, "pillow": features.version("pil") or ""}
        if missing:
            details["missing"] = ",".join(missing)
            return HealthReport(HealthStatus.DOWN, details)
        return HealthReport(HealthStatus.UP, details)
