"""The slowest, largest result cache layer: one file per result below a root directory.

Layout: `root/results/<tenant>/<digest[:2]>/<digest>`. Each file is a header followed by the
raw image bytes:

    magic b"MSRC" | version (1 byte) | metadata length (4 bytes, big-endian) | metadata | bytes

The metadata is UTF-8 JSON `{format, etag, produced_at, size}`; `size` lets a read tell a
truncated file from a whole one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import string
import struct
import tempfile
import uuid
from pathlib import Path
from typing import TypeVar

from application.ports.result_cache import LayerUsage, ResultCache
from domain.formats import OutputFormat
from domain.request import ResultKey
from domain.result import CacheLayer, ImageResult

T = TypeVar("T")
log = logging.getLogger(__name__)

MAGIC = b"MSRC"
VERSION = 1
_HEADER = struct.Struct(">4sBI")
_TEMP_SUFFIX = ".tmp"


class CorruptEntry(Exception):
    """A cache file that is not a whole entry of the current version."""


class DiskResultCache(ResultCache):
    """Keeps results as files under `root`, written atomically, read back after a restart.

    A write goes to a temporary file in the entry's directory, then is renamed over the entry,
    so readers see the old entry or the new one, never a mix. It is not fsynced: the layer is
    a cache, a file a crash left short fails its size check and is a miss, and an fsync on
    every miss cost the request several milliseconds of waiting on the disk. A file that
    cannot be read as a whole entry of the current version is a miss and is deleted. A file
    system error (disk full, permissions) is logged and answered as a miss or a dropped write:
    a cache that fails must not fail the request. All file I/O runs in worker threads, off the
    event loop.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = Path(root)
        self._results = self._root / "results"
        self._trash = self._root / "trash"

    @property
    def layer(self) -> CacheLayer:
        return CacheLayer.DISK

    async def get(self, key: ResultKey) -> ImageResult | None:
        return await asyncio.to_thread(self._read, self._path_of(key))

    async def put(self, key: ResultKey, result: ImageResult) -> None:
        await asyncio.to_thread(self._write, self._path_of(key), result)

    async def contains(self, key: ResultKey) -> bool:
        return await asyncio.to_thread(self._path_of(key).is_file)

    async def delete_tenant(self, tenant: str) -> int:
        _refuse_unsafe(tenant, "tenant")
        return await asyncio.to_thread(self._delete_tenant, tenant)

    async def usage(self) -> LayerUsage:
        return await asyncio.to_thread(self._usage)

    def _path_of(self, key: ResultKey) -> Path:
        _refuse_unsafe(key.tenant, "tenant")
        if len(key.digest) < 3 or not all(c in string.hexdigits for c in key.digest):
            raise ValueError(f"refusing a non-hexadecimal result digest {key.digest!r}")
        return self._results / key.tenant / key.digest[:2] / key.digest

    @staticmethod
    def _read(path: Path) -> ImageResult | None:
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            log.warning("reading cached result %s failed", path, exc_info=True)
            return None
        try:
            return decode_entry(content)
        except CorruptEntry:
            path.unlink(missing_ok=True)
            return None

    @staticmethod
    def _write(path: Path, result: ImageResult) -> None:
        try:
            _write_atomically(path, encode_entry(result))
        except FileNotFoundError:
            pass  # delete_tenant moved the directory away meanwhile: the result goes with it
        except OSError:
            log.warning("storing cached result %s failed", path, exc_info=True)

    def _delete_tenant(self, tenant: str) -> int:
        # Renaming first makes the removal one atomic step for readers and writers: a write in
        # flight finds its temporary file gone from under `results/` and is dropped.
        self._trash.mkdir(parents=True, exist_ok=True)
        doomed = self._trash / f"{tenant}.{uuid.uuid4().hex}"
        try:
            (self._results / tenant).rename(doomed)
        except FileNotFoundError:
            return 0
        count = sum(1 for entry in doomed.rglob("*") if _is_entry(entry))
        self._empty_trash()
        return count

    def _usage(self) -> LayerUsage:
        entries = total = 0
        for path in self._results.rglob("*"):
            if _is_entry(path):
                with contextlib.suppress(FileNotFoundError):  # flushed meanwhile
                    total += path.stat().st_size
                    entries += 1
        return LayerUsage(entries=entries, bytes=total)

    def _empty_trash(self) -> None:
        # Also clears what an earlier crash or a concurrent writer left behind.
        for leftover in self._trash.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)


def encode_entry(result: ImageResult) -> bytes:
    """The file content for `result`: header, JSON metadata, raw bytes."""
    metadata = json.dumps(
        {
            "format": result.format.value,
            "etag": result.etag,
            "produced_at": result.produced_at,
            "size": result.size,
        },
        separators=(",", ":"),
    ).encode()
    return _HEADER.pack(MAGIC, VERSION, len(metadata)) + metadata + result.data


def decode_entry(content: bytes) -> ImageResult:
    """The result stored in `content`, or `CorruptEntry` when it is not a whole entry."""
    if len(content) < _HEADER.size:
        raise CorruptEntry("shorter than the header")
    magic, version, length = _HEADER.unpack_from(content)
    if magic != MAGIC or version != VERSION:
        raise CorruptEntry(f"unknown magic {magic!r} or version {version}")
    body_start = _HEADER.size + length
    try:
        metadata = json.loads(content[_HEADER.size : body_start])
        result = ImageResult(
            content[body_start:],
            OutputFormat(metadata["format"]),
            _typed(metadata["etag"], str),
            _typed(metadata["produced_at"], int),
        )
        size = _typed(metadata["size"], int)
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptEntry(f"unreadable metadata: {exc}") from exc
    if result.size != size:
        raise CorruptEntry(f"holds {result.size} bytes of {size}")
    return result


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _typed(value: object, kind: type[T]) -> T:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value


def _is_entry(path: Path) -> bool:
    return not path.name.startswith(".") and path.is_file()


def _refuse_unsafe(name: str, what: str) -> None:
    # Tenants are validated upstream; this guards the file system against a bypass.
    if not name or "/" in name or "\\" in name or "\0" in name or ".." in name or name == ".":
        raise ValueError(f"refusing an unsafe {what} name {name!r}")
