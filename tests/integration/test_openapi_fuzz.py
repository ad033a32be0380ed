"""schemathesis over the server's own OpenAPI document: generated requests for every
operation, sent to the real server, never answered with a 5xx.

The schema is taken from the app in-process at collection time (schemathesis' lazy
`from_fixture` loader does not work with pytest 9), and a test checks that the server serves
the very same document at /schema/openapi.json.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from entrypoints.http.app import make_litestar
from tests.support import hostile
from tests.support.images import jpeg
from tests.support.node import node
from tests.support.origin_server import LoopbackOrigin, Reply
from tests.support.server import RunningServer

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 60


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    routes = {
        "/media/acme/uploads/a.jpg": Reply(body=jpeg(64, 48)),
        "/static/images/logo.svg": Reply(body=hostile._svg("<script>x</script>")),
    }
    root = tmp_path_factory.mktemp("fuzz")
    with LoopbackOrigin(routes) as origin:
        env = {
            "BACKEND_URL": origin.base_url,
            "CACHE_FILE_DIRECTORY": str(root / "cache"),
            "LOG_LEVEL": "error",
            "IMAGE_WORKER_THREADS": "2",
            "RATE_LIMIT_ENABLED": "false",
        }
        with RunningServer(env, root / "server.log") as server:
            yield server
            assert "Traceback" not in server.log_text()


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the app, as Litestar builds it (nothing is started)."""
    with tempfile.TemporaryDirectory() as cache:
        document: dict[str, Any] = make_litestar(node(Path(cache))).openapi_schema.to_schema()
    return document


DOCUMENT = openapi_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_server_serves_the_fuzzed_document(fuzzed_server: RunningServer) -> None:
    served = httpx.get(fuzzed_server.url("/schema/openapi.json"), timeout=10)

    assert served.status_code == 200
    assert served.json() == DOCUMENT
    assert "/media_stream-image/{rest}" in DOCUMENT["paths"]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_gets_a_server_error(
    case: schemathesis.Case, fuzzed_server: RunningServer
) -> None:
    case.call_and_validate(base_url=fuzzed_server.base_url, checks=[not_a_server_error], timeout=30)
