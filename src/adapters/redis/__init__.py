"""Redis adapters: the shared cache layer and what lets several nodes act as one cache.

All of them reach Redis through one `RedisCircuit` per node, which skips Redis for a while
after a failure, so a node with Redis away keeps serving at its normal speed.
"""

from adapters.redis.access_counter import RedisAccessCounter
from adapters.redis.circuit import CircuitState, RedisCircuit
from adapters.redis.flush_broadcast import RedisFlushBroadcast
from adapters.redis.keys import RedisKeys
from adapters.redis.negative_cache import RedisNegativeCache
from adapters.redis.result_cache import RedisResultCache
from adapters.redis.work_leases import RedisWorkLeases

__all__ = [
    "CircuitState",
    "RedisAccessCounter",
    "RedisCircuit",
    "RedisFlushBroadcast",
    "RedisKeys",
    "RedisNegativeCache",
    "RedisResultCache",
    "RedisWorkLeases",
]
