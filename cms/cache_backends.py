"""The shared Redis cache, for callers that can do without it while Redis is away.

Wagtail reads and writes its site root paths through the cache on every page; with
Django's RedisCache a Redis restart turned every public page into a 500 for as long as
it took. Here a read that cannot reach Redis is a miss and a plain write is skipped,
so pages are built from the database as they would be with no cache. ``add`` and
``incr`` still raise: the task locks and the rate limits built on them must know that
they hold nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisAway
from redis.exceptions import TimeoutError as RedisSlow

logger = logging.getLogger(__name__)

CACHE_AWAY = (RedisAway, RedisSlow)


class OutageTolerantRedisCache(RedisCache):
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except CACHE_AWAY as error:
            logger.warning("The cache is away, read as a miss: %s", error)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except CACHE_AWAY as error:
            logger.warning("The cache is away, read as a miss: %s", error)
            return {}

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        try:
            super().set(key, value, timeout, version)
        except CACHE_AWAY as error:
            logger.warning("The cache is away, nothing kept: %s", error)

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except CACHE_AWAY as error:
            logger.warning("The cache is away, nothing deleted: %s", error)
            return False
