"""Lifecycles: what the container opens before serving and closes, in reverse, after.

Every adapter that holds a connection, a process or a background task is a dependency-injector
`Resource` whose initialiser is one of the generators below. `open_resources` initialises the
resources a node needs in dependency order (a resource after everything it uses), and
`close_resources` shuts down the ones it opened in the reverse order: the access counter flushes
before the Redis client it writes to closes, the result cache drains before its tiers go.

dependency-injector switches a provider to "async mode" once it has produced an awaitable, and
then keeps answering awaitables. Once the resources are open, every object is built, so the
providers are switched back to plain calls: handlers and wrappers read them synchronously.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Protocol, TypeVar

from dependency_injector import containers, providers


class Closable(Protocol):
    async def close(self) -> None: ...


class Drainable(Protocol):
    async def drain(self) -> None: ...


class Stoppable(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


C = TypeVar("C", bound=Closable)
D = TypeVar("D", bound=Drainable)
S = TypeVar("S", bound=Stoppable)


async def closed_after(
    factory: Callable[..., C], *args: object, **kwargs: object
) -> AsyncIterator[C]:
    """`factory(*args, **kwargs)`, closed (`await close()`) when the container closes."""
    resource = factory(*args, **kwargs)
    try:
        yield resource
    finally:
        await resource.close()


async def closing(resource: C | None) -> AsyncIterator[C | None]:
    """`resource` as built by another provider (which tests override), closed when the
    container closes; None stands for a part that is not configured."""
    try:
        yield resource
    finally:
        if resource is not None:
            await resource.close()


async def draining(resource: D) -> AsyncIterator[D]:
    """`resource` as built by another provider, drained (`await drain()`) when it closes."""
    try:
        yield resource
    finally:
        await resource.drain()


async def running(service: S, enabled: bool) -> AsyncIterator[S]:
    """`service`, started when the container opens (if `enabled`) and stopped when it closes."""
    if enabled:
        await service.start()
    try:
        yield service
    finally:
        await service.stop()


def resources_in_order(
    sources: Iterable[providers.Provider[object]],
) -> list[providers.Resource[object]]:
    """The resources `sources` reach, each after every resource it depends on."""
    ordered: list[providers.Resource[object]] = []
    seen: set[providers.Resource[object]] = set()

    def visit(resource: providers.Resource[object]) -> None:
        if resource in seen:
            return
        seen.add(resource)
        for needed in _resources_of(resource):
            visit(needed)
        ordered.append(resource)

    for source in sources:
        if isinstance(source, providers.Resource):
            visit(source)
        for resource in _resources_of(source):
            visit(resource)
    return ordered


def _resources_of(provider: providers.Provider[object]) -> Iterator[providers.Resource[object]]:
    yield from provider.traverse(types=[providers.Resource])


async def open_resources(
    container: containers.Container, wanted: Iterable[providers.Provider[object]] = ()
) -> None:
    """Open the resources `wanted` needs (every resource of the container when none is named),
    one after the other in dependency order; then make every provider a plain call."""
    sources = list(wanted) or list(container.traverse(types=[providers.Resource]))
    for resource in resources_in_order(sources):
        opened = resource.init()
        if inspect.isawaitable(opened):
            await opened
    provider: providers.Provider[object]
    for provider in container.traverse():
        provider.disable_async_mode()


async def close_resources(container: containers.Container) -> None:
    """Close the opened resources of `container`, the last opened first."""
    everything = list(container.traverse(types=[providers.Resource]))
    for resource in reversed(resources_in_order(everything)):
        if not resource.initialized:
            continue
        resource.enable_async_mode()
        closed = resource.shutdown()
        if inspect.isawaitable(closed):
            await closed
