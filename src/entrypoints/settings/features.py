"""Opt-in features beyond the Node service: the info route, signed URLs, named presets (ADR 24).

Every one is off by default: with none of these set, every URL the Node service answered is
answered the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from domain.image_urls import ImageUrls
from domain.presets import PresetError, Presets
from domain.signing import MIN_KEY_LENGTH, SignaturePolicy, UrlSigner
from entrypoints.settings.values import comma_list


class FeatureSettings(BaseSettings):
    """IMAGE_INFO_ENABLED, URL_SIGNING_*, IMAGE_PRESETS and PRESETS_ONLY."""

    IMAGE_INFO_ENABLED: bool = False
    URL_SIGNING_KEYS: Annotated[tuple[str, ...], NoDecode] = ()
    URL_SIGNING_REQUIRED: bool = False
    IMAGE_PRESETS: str = Field(default="", description="a JSON object, or a JSON file's path")
    PRESETS_ONLY: bool = False

    @field_validator("URL_SIGNING_KEYS", mode="before")
    @classmethod
    def _keys(cls, value: object) -> object:
        keys = comma_list(value)
        if isinstance(keys, tuple):
            for position, key in enumerate(keys, start=1):
                if len(key) < MIN_KEY_LENGTH:
                    # the key itself is a secret: named by its position only
                    raise ValueError(f"key {position} is shorter than {MIN_KEY_LENGTH} characters")
        return keys

    @field_validator("IMAGE_PRESETS")
    @classmethod
    def _presets(cls, value: str) -> str:
        read_presets(value)  # a bad preset stops start-up with its name
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.URL_SIGNING_REQUIRED and not self.URL_SIGNING_KEYS:
            raise ValueError("URL_SIGNING_REQUIRED=true needs URL_SIGNING_KEYS")
        if self.PRESETS_ONLY and not read_presets(self.IMAGE_PRESETS):
            raise ValueError("PRESETS_ONLY=true needs at least one preset in IMAGE_PRESETS")
        return self


def read_presets(value: str) -> Presets:
    """The presets of IMAGE_PRESETS: a JSON object of name -> options, inline or in a file.

    Raises ValueError naming the file, the JSON problem or the first bad preset.
    """
    text = value.strip()
    if not text:
        return Presets()
    if not text.startswith("{"):
        try:
            text = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read the presets file {value!r}: {exc.strerror}") from exc
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the presets are not valid JSON: {exc}") from exc
    if not isinstance(mapping, dict):
        raise ValueError('the presets must be a JSON object {"name": "w/h/fit/...", ...}')
    try:
        return Presets.parse(mapping)
    except PresetError as exc:
        raise ValueError(str(exc)) from exc


def image_urls(settings: FeatureSettings) -> ImageUrls:
    """The rules image and info URLs follow under these settings."""
    keys = settings.URL_SIGNING_KEYS
    return ImageUrls(
        signatures=SignaturePolicy(
            UrlSigner(keys) if keys else None, required=settings.URL_SIGNING_REQUIRED
        ),
        presets=read_presets(settings.IMAGE_PRESETS),
        presets_only=settings.PRESETS_ONLY,
    )
