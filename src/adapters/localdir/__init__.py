"""Local-directory adapter: originals read from a directory instead of an HTTP origin."""

from adapters.localdir.origin_fetcher import LocalDirectoryOriginFetcher

__all__ = ["LocalDirectoryOriginFetcher"]
