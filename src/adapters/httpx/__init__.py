"""HTTP adapter: originals fetched from the shop's origin over a pooled httpx client."""

from adapters.httpx.origin_fetcher import HttpxOriginFetcher

__all__ = ["HttpxOriginFetcher"]
