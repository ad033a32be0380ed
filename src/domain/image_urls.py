"""How an image URL becomes a request: its signature, a preset or spelled-out options."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.errors import InvalidRequest
from domain.presets import Presets, is_preset_path
from domain.request import ImageRequest
from domain.route import DEFAULT_MAX_PATH_LENGTH, parse_image_path
from domain.signing import SignaturePolicy


class PresetsOnly(InvalidRequest):
    """Options were spelled out in the URL where only presets are served."""

    def __init__(self) -> None:
        super().__init__(
            "only preset URLs (/media_stream-image/preset/{name}/...) are served",
            code="PRESETS_ONLY",
            status=403,
        )


@dataclass(frozen=True, slots=True)
class ImageUrls:
    """The rules an image URL must follow beyond its grammar (signatures, presets; ADR 24).

    The default accepts every well-formed URL, as the Node service did.
    """

    signatures: SignaturePolicy = field(default_factory=SignaturePolicy)
    presets: Presets = field(default_factory=Presets)
    presets_only: bool = False

    def __post_init__(self) -> None:
        if self.presets_only and not self.presets.by_name:
            raise ValueError("presets only, but no preset is configured")

    @property
    def reads_signatures(self) -> bool:
        """Whether a request's `s` parameter matters (signing keys are configured)."""
        return self.signatures.signer is not None

    def request_of(
        self,
        raw_path: str,
        signature: str | None = None,
        *,
        max_length: int = DEFAULT_MAX_PATH_LENGTH,
    ) -> ImageRequest:
        """The request a raw (percent-encoded) path and its `s` parameter make.

        The signature is checked first, before anything else is read from the path, so a
        refused URL costs nothing and reaches neither the cache nor the origin.
        """
        self.signatures.check(raw_path, signature)
        if is_preset_path(raw_path):
            return self.presets.request_of(raw_path, max_length=max_length)
        request = parse_image_path(raw_path, max_length=max_length)
        if self.presets_only:
            raise PresetsOnly()
        return request

    def trusted_request_of(
        self, raw_path: str, *, max_length: int = DEFAULT_MAX_PATH_LENGTH
    ) -> ImageRequest:
        """The request an operator's path makes (a pre-generation list): the same grammar and
        presets, no signature asked for."""
        if is_preset_path(raw_path):
            return self.presets.request_of(raw_path, max_length=max_length)
        return parse_image_path(raw_path, max_length=max_length)
