"""Tenant flush announcements over Redis pub/sub, heard by every node."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.connection import Connection

from adapters.redis.circuit import UNREACHABLE, RedisCircuit
from adapters.redis.keys import RedisKeys
from application.ports.flush_broadcast import FlushBroadcast, FlushHandler

log = logging.getLogger(__name__)
IDLE_WAIT = 1.0  # seconds a read waits for a message before checking again


class RedisFlushBroadcast(FlushBroadcast):
    """`PUBLISH {prefix}flush <tenant>`; each node keeps one subscription open.

    The subscription runs in a background task that re-subscribes after a lost connection,
    pausing `retry_after` seconds (doubling, up to 8 times). Messages published while a node was
    not subscribed are lost, so after any reconnection the handler is called with None
    ("flushes may have been missed") before listening on.
    """

    def __init__(self, circuit: RedisCircuit, keys: RedisKeys) -> None:
        self._circuit = circuit
        self._keys = keys
        self._task: asyncio.Task[None] | None = None
        self._attempted = asyncio.Event()
        self._listening = False
        self._missed = False

    @property
    def listening(self) -> bool:
        """Whether the subscription is open now."""
        return self._listening

    async def announce(self, tenant: str) -> int:
        channel = self._keys.flushes

        async def publish(client: Redis) -> int:
            return await client.publish(channel, tenant)

        return await self._circuit.require(publish)

    async def listen(self, handler: FlushHandler) -> None:
        if self._task is not None:
            raise RuntimeError("already listening")
        self._task = asyncio.create_task(self._listen_forever(handler))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._attempted.wait(), timeout=5.0)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._listening = False

    async def _listen_forever(self, handler: FlushHandler) -> None:
        pause = self._circuit.retry_after
        while True:
            pubsub = self._circuit.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._keys.flushes)
                self._watch_reconnections(pubsub)
                self._listening, pause = True, self._circuit.retry_after
                self._attempted.set()
                await self._relay(pubsub, handler)
            except UNREACHABLE as exc:
                if self._listening:
                    log.warning("lost the flush subscription: %s", exc)
                self._listening, self._missed = False, True
                self._attempted.set()
            finally:
                with contextlib.suppress(*UNREACHABLE):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(pause)
            pause = min(pause * 2, self._circuit.retry_after * 8)

    async def _relay(self, pubsub: PubSub, handler: FlushHandler) -> None:
        while True:
            if self._missed:
                self._missed = False
                await _hand(handler, None)
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=IDLE_WAIT)
            if message is not None and message.get("type") == "message":
                data = message["data"]
                await _hand(handler, data.decode() if isinstance(data, bytes) else str(data))

    def _watch_reconnections(self, pubsub: PubSub) -> None:
        # redis-py re-subscribes by itself after a reconnection; what was published meanwhile
        # is lost, so a reconnection counts as a gap too.
        connection = cast(Connection | None, pubsub.connection)  # typed as None until used
        if connection is not None:
            connection.register_connect_callback(self._reconnected)  # type: ignore[no-untyped-call]

    async def _reconnected(self, connection: Connection) -> None:
        self._missed = True


async def _hand(handler: FlushHandler, tenant: str | None) -> None:
    try:
        await handler(tenant)
    except Exception:
        log.exception("handling the flush of %s failed", tenant or "every tenant")
