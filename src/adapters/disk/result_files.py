"""The disk layer's files seen as files: listed, their headers read, removed (ADR 23)."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

from adapters.disk.result_cache import _HEADER, _TEMP_SUFFIX, MAGIC, VERSION
from application.ports.result_files import FileFacts, ResultFile, ResultFiles
from domain.request import ResultKey
from domain.tenant import TENANT_PATTERN

log = logging.getLogger(__name__)
_DIGEST = re.compile(r"[0-9a-f]{64}")
MAX_METADATA = 4096


class DiskResultFiles(ResultFiles):
    """The files `DiskResultCache` writes under `root/results/<tenant>/<xx>/<digest>`.

    Names that are not a tenant and a digest (an operator's stray file) are never listed, so
    cleanup cannot remove what this service did not write. Temporary files are the
    `.<digest>.<random>.tmp` a write leaves when the process dies mid-write.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._results = Path(root) / "results"

    def results(self) -> Iterator[ResultFile]:
        for path in self._entries():
            key = _key_of(path)
            if key is None:
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # removed meanwhile
            yield ResultFile(key, stat.st_size, stat.st_mtime)

    def temporary(self) -> Iterator[tuple[str, float]]:
        for path in self._all_files():
            if path.name.startswith(".") and path.name.endswith(_TEMP_SUFFIX):
                try:
                    yield str(path), path.stat().st_mtime
                except FileNotFoundError:
                    continue

    def facts(self, key: ResultKey) -> FileFacts | None:
        try:
            with self._path_of(key).open("rb") as file:
                head = file.read(_HEADER.size)
                if len(head) < _HEADER.size:
                    return None
                magic, version, length = _HEADER.unpack(head)
                if magic != MAGIC or version != VERSION or length > MAX_METADATA:
                    return None
                metadata = json.loads(file.read(length))
                body = file.seek(0, os.SEEK_END) - _HEADER.size - length
            size = int(metadata["size"])
            if body != size:
                return None
            return FileFacts(str(metadata["format"]), float(metadata["produced_at"]), size)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("unreadable result file for %s", key, exc_info=True)
            return None

    def size(self, key: ResultKey) -> int | None:
        try:
            return self._path_of(key).stat().st_size
        except FileNotFoundError:
            return None

    def remove(self, key: ResultKey) -> int:
        return _unlink(self._path_of(key))

    def remove_temporary(self, path: str) -> int:
        candidate = Path(path)
        if self._results not in candidate.parents or not candidate.name.endswith(_TEMP_SUFFIX):
            raise ValueError(f"refusing to remove {path!r}: not a temporary result file")
        return _unlink(candidate)

    def _path_of(self, key: ResultKey) -> Path:
        if TENANT_PATTERN.fullmatch(key.tenant) is None or _DIGEST.fullmatch(key.digest) is None:
            raise ValueError(f"refusing an unsafe result key {key}")
        return self._results / key.tenant / key.digest[:2] / key.digest

    def _all_files(self) -> Iterator[Path]:
        if not self._results.is_dir():
            return
        for directory, _, names in os.walk(self._results):
            for name in names:
                yield Path(directory) / name

    def _entries(self) -> Iterator[Path]:
        return (path for path in self._all_files() if not path.name.startswith("."))


def _key_of(path: Path) -> ResultKey | None:
    digest, shard, tenant = path.name, path.parent.name, path.parent.parent.name
    if _DIGEST.fullmatch(digest) is None or shard != digest[:2]:
        return None
    if TENANT_PATTERN.fullmatch(tenant) is None:
        return None
    return ResultKey(tenant, digest)


def _unlink(path: Path) -> int:
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return 0
    return size
