"""An image request: where the original lives and what to make of it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidRequest
from domain.formats import OutputFormat, RequestedFormat
from domain.negotiation import AcceptedFormats
from domain.transform import MAX_TRIM, Background, Box, Fit, Position, TransformSpec

PUBLIC_TENANT = "public"
RESULT_KEY_VERSION = "v1"


class SourceKind(StrEnum):
    """Which of the two image routes named the original."""

    MEDIA = "media"  # /media/{tenant}/uploads/{path+}
    STATIC = "static"  # /static/images/{image}


@dataclass(frozen=True, slots=True)
class ImageSource:
    """An original at the origin, named by tenant and a validated relative path."""

    kind: SourceKind
    tenant: str
    path: str

    @property
    def origin_path(self) -> str:
        """The path below the origin's base URL."""
        if self.kind is SourceKind.MEDIA:
            return f"media/{self.tenant}/uploads/{self.path}"
        return f"static/images/{self.path}"

    @property
    def extension(self) -> str:
        """The file name's extension, lower-cased (a hint only; bytes decide the real format)."""
        name = self.path.rsplit("/", 1)[-1]
        return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """A validated request for one image: the original and the options of the URL."""

    source: ImageSource
    box: Box
    fit: Fit
    position: Position
    background: Background
    trim: int
    quality: int
    format: RequestedFormat

    def __post_init__(self) -> None:
        if not 0 <= self.trim <= MAX_TRIM:
            raise InvalidRequest(f"trim must be an integer in 0..{MAX_TRIM}, got {self.trim}")
        if not 1 <= self.quality <= 100:
            raise InvalidRequest(f"quality must be an integer in 1..100, got {self.quality}")

    @property
    def negotiates(self) -> bool:
        """True when the answer depends on the Accept header (format `auto`)."""
        return self.format is RequestedFormat.AUTO

    def spec_for(self, accepted: AcceptedFormats) -> TransformSpec:
        """The transformation to run, with `auto` resolved against what the client accepts."""
        output, alpha_output = self._output_formats(accepted)
        return TransformSpec(
            box=self.box,
            fit=self.fit,
            position=self.position,
            background=self.background,
            trim=self.trim,
            quality=self.quality,
            format=output,
            alpha_format=alpha_output,
        )

    def _output_formats(
        self, accepted: AcceptedFormats
    ) -> tuple[OutputFormat, OutputFormat | None]:
        if self.format is not RequestedFormat.AUTO:
            return OutputFormat(self.format.value), None
        if accepted.avif:
            return OutputFormat.AVIF, None
        if accepted.webp:
            return OutputFormat.WEBP, None
        return OutputFormat.JPEG, OutputFormat.PNG


@dataclass(frozen=True, slots=True)
class ResultKey:
    """Deterministic name of one result: the tenant plus a digest of the source and every option."""

    tenant: str
    digest: str

    @classmethod
    def of(cls, source: ImageSource, spec: TransformSpec) -> ResultKey:
        text = "\n".join(
            (RESULT_KEY_VERSION, source.kind.value, source.tenant, source.path, spec.canonical)
        )
        return cls(source.tenant, hashlib.sha256(text.encode()).hexdigest())

    def __str__(self) -> str:
        return f"{self.tenant}:{self.digest}"
