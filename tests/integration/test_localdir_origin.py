"""LocalDirectoryOriginFetcher on a real directory tree: reads inside the root, nothing outside."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from adapters.localdir import LocalDirectoryOriginFetcher
from application.errors import OriginNotFound, OriginTooLarge, OriginUnavailable
from application.ports.origin_fetcher import Original
from domain.request import ImageSource, SourceKind

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
SECRET = b"root:x:0:0:secret\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """`tmp/root` with one image per route, beside `tmp/outside/secret.txt`."""
    root = tmp_path / "root"
    (root / "static" / "images" / "cats").mkdir(parents=True)
    (root / "media" / "shop" / "uploads").mkdir(parents=True)
    (root / "static" / "images" / "cats" / "cat.png").write_bytes(PNG)
    (root / "media" / "shop" / "uploads" / "dog.jpg").write_bytes(b"\xff\xd8\xff jpeg")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_bytes(SECRET)
    return root


def static(path: str) -> ImageSource:
    # Built directly: the route parser would already refuse most of the paths below.
    return ImageSource(SourceKind.STATIC, "public", path)


def fetch(origin: LocalDirectoryOriginFetcher, source: ImageSource) -> Original:
    return asyncio.run(origin.fetch(source))


def test_reads_a_file_byte_exact_with_its_type(root: Path) -> None:
    origin = LocalDirectoryOriginFetcher(root)
    assert fetch(origin, static("cats/cat.png")) == Original(PNG, "image/png")
    media = ImageSource(SourceKind.MEDIA, "shop", "dog.jpg")
    assert fetch(origin, media).data == b"\xff\xd8\xff jpeg"


def test_a_missing_file_is_not_found(root: Path) -> None:
    with pytest.raises(OriginNotFound):
        fetch(LocalDirectoryOriginFetcher(root), static("cats/none.png"))


def test_a_missing_root_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(OriginUnavailable):
        fetch(LocalDirectoryOriginFetcher(tmp_path / "nowhere"), static("cats/cat.png"))


def test_dot_dot_traversal_out_of_the_root_is_refused(root: Path) -> None:
    escaping = static("../../../outside/secret.txt")
    assert (root / escaping.origin_path).read_bytes() == SECRET  # the path really leads there
    with pytest.raises(OriginNotFound):
        fetch(LocalDirectoryOriginFetcher(root), escaping)


def test_a_symlinked_file_pointing_outside_is_refused(root: Path) -> None:
    link = root / "static" / "images" / "evil.png"
    link.symlink_to(root.parent / "outside" / "secret.txt")
    assert link.read_bytes() == SECRET
    with pytest.raises(OriginNotFound):
        fetch(LocalDirectoryOriginFetcher(root), static("evil.png"))


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd")
def test_a_symlink_to_etc_passwd_is_refused(root: Path) -> None:
    (root / "static" / "images" / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(OriginNotFound):
        fetch(LocalDirectoryOriginFetcher(root), static("passwd"))


def test_a_symlinked_directory_pointing_outside_is_refused(root: Path) -> None:
    (root / "static" / "images" / "elsewhere").symlink_to(root.parent / "outside")
    with pytest.raises(OriginNotFound):
        fetch(LocalDirectoryOriginFetcher(root), static("elsewhere/secret.txt"))


def test_a_symlink_to_a_sibling_with_the_roots_name_as_prefix_is_refused(root: Path) -> None:
    sibling = root.parent / "root-other"
    sibling.mkdir()
    (sibling / "x.png").write_bytes(SECRET)
    (root / "static" / "images" / "x.png").symlink_to(sibling / "x.png")
    with pytest.raises(OriginNotFound):
        fetch(LocalDirectoryOriginFetcher(root), static("x.png"))


def test_a_symlink_that_stays_inside_the_root_is_followed(root: Path) -> None:
    (root / "static" / "images" / "alias.png").symlink_to(Path("cats") / "cat.png")
    assert fetch(LocalDirectoryOriginFetcher(root), static("alias.png")).data == PNG


def test_a_root_reached_through_a_symlink_works(root: Path, tmp_path: Path) -> None:
    (tmp_path / "current").symlink_to(root)
    origin = LocalDirectoryOriginFetcher(tmp_path / "current")
    assert fetch(origin, static("cats/cat.png")).data == PNG


def test_a_symlink_loop_is_not_found(root: Path) -> None:
    images = root / "static" / "images"
    (images / "loop-a").symlink_to(images / "loop-b")
    (images / "loop-b").symlink_to(images / "loop-a")
    with pytest.raises(OriginNotFound):
        fetch(LocalDirectoryOriginFetcher(root), static("loop-a"))


def test_a_directory_is_not_found(root: Path) -> None:
    with pytest.raises(OriginNotFound):
        fetch(LocalDirectoryOriginFetcher(root), static("cats"))


@pytest.mark.timeout(10)
def test_a_fifo_is_refused_without_blocking(root: Path) -> None:
    os.mkfifo(root / "static" / "images" / "pipe.png")
    with pytest.raises(OriginNotFound):
        fetch(LocalDirectoryOriginFetcher(root), static("pipe.png"))


def test_a_path_with_a_nul_byte_is_not_found(root: Path) -> None:
    with pytest.raises(OriginNotFound):
        fetch(LocalDirectoryOriginFetcher(root), static("cats/cat.png\0.jpg"))


def test_the_size_cap_is_inclusive(root: Path) -> None:
    exact = LocalDirectoryOriginFetcher(root, max_bytes=len(PNG))
    assert fetch(exact, static("cats/cat.png")).data == PNG
    with pytest.raises(OriginTooLarge):
        fetch(LocalDirectoryOriginFetcher(root, max_bytes=len(PNG) - 1), static("cats/cat.png"))


def test_the_default_cap_is_ten_mebibytes(root: Path) -> None:
    (root / "static" / "images" / "big.png").write_bytes(b"\0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(OriginTooLarge):
        fetch(LocalDirectoryOriginFetcher(root), static("big.png"))
