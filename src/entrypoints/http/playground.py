"""The playground at `/` (ADR 29): a static page that builds image URLs with a live preview,
shows the answer's headers, and reads two small JSON routes. No build step: plain files in
`static/`, its script and style sheet served beside it so the page's policy allows only them.

    GET /                            the page
    GET /playground/playground.js    its script
    GET /playground/playground.css   its style sheet
    GET /playground/samples          the shipped samples' image paths (BACKEND_URL = them)
    GET /playground/status           the cache figures anyone may read: no key, tenant or path
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from litestar import Response, get
from litestar.di import NamedDependency

from application.cache_figures import CacheFigures, ReportCacheFigures
from domain.errors import InvalidRequest
from domain.route import parse_source
from entrypoints.http.errors import NO_STORE
from entrypoints.settings import SAMPLES_DIRECTORY, Settings

STATIC = Path(__file__).resolve().parent / "static"
# The page's own policy: its script, style sheet, previews (fetched, shown as blob: URLs) and
# JSON from this origin, nothing else; every other non-image answer keeps the strict one.
PLAYGROUND_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
IMAGE_SUFFIXES = frozenset({".avif", ".gif", ".jpeg", ".jpg", ".png", ".svg", ".tiff", ".webp"})


@dataclass(frozen=True, slots=True)
class Playground:
    """What the playground's JSON routes read (their `playground` dependency)."""

    figures: ReportCacheFigures
    samples: tuple[str, ...]


def sample_paths(settings: Settings) -> tuple[str, ...]:
    """The shipped samples as image paths (`media/webside/uploads/...`, `static/images/...`)
    when BACKEND_URL is their directory; none for any other origin, whose files are not ours
    to list."""
    directory = settings.backend_directory
    if directory is None or directory.resolve() != SAMPLES_DIRECTORY:
        return ()
    files = sorted(path for path in SAMPLES_DIRECTORY.rglob("*") if path.is_file())
    paths = [path.relative_to(SAMPLES_DIRECTORY).as_posix() for path in files]
    return tuple(path for path in paths if _servable(path))


def _servable(path: str) -> bool:
    if Path(path).suffix.lower() not in IMAGE_SUFFIXES:
        return False
    try:
        parse_source(path.split("/"))
    except InvalidRequest:
        return False
    return True


def _file(name: str, media_type: str, headers: dict[str, str]) -> Response[bytes]:
    return Response((STATIC / name).read_bytes(), media_type=media_type, headers=headers)


@get("/", name="index")
async def index() -> Response[bytes]:
    """The playground page."""
    headers = {**PAGE_HEADERS, "Content-Security-Policy": PLAYGROUND_CSP}
    return _file("index.html", "text/html", headers)


@get("/playground/playground.js", name="playground_script")
async def playground_script() -> Response[bytes]:
    return _file("playground.js", "text/javascript", PAGE_HEADERS)


@get("/playground/playground.css", name="playground_style")
async def playground_style() -> Response[bytes]:
    return _file("playground.css", "text/css", PAGE_HEADERS)


@get("/playground/samples", name="playground_samples")
async def playground_samples(
    playground: NamedDependency[Playground],
) -> Response[dict[str, list[str]]]:
    """The sample originals' paths, to put after `/media_stream-image/`; empty unless
    BACKEND_URL is the shipped samples directory (the default)."""
    return Response({"samples": list(playground.samples)}, headers=NO_STORE)


@get("/playground/status", name="playground_status")
async def playground_status(
    playground: NamedDependency[Playground],
) -> Response[dict[str, object]]:
    """Hit ratio per cache layer since start, the memory tier's fill and the disk's use (by
    the access index; null without one): aggregates only."""
    return Response(status_body(await playground.figures()), headers=NO_STORE)


def status_body(figures: CacheFigures) -> dict[str, object]:
    stored = figures.stored
    return {
        "layers": [
            {
                "layer": name,
                "hits": counters.hits,
                "misses": counters.misses,
                "hitRatio": None if counters.hit_ratio is None else round(counters.hit_ratio, 4),
            }
            for name, counters in figures.layers.items()
        ],
        "memory": {
            "bytes": figures.memory.bytes,
            "entries": figures.memory.entries,
            "maxBytes": figures.memory.max_bytes,
        },
        "storage": None
        if stored is None
        else {"bytes": stored.used.bytes, "files": stored.used.files, "level": stored.level.value},
    }


PLAYGROUND_ROUTES = [
    index,
    playground_script,
    playground_style,
    playground_samples,
    playground_status,
]
