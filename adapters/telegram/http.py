"""python-telegram-bot's HTTP requests over aiohttp instead of httpx.

Measured on the broadcast benchmark (bench/bench_telegram_broadcast.py), the
httpx client cost about 2 ms of CPU per message, most of it in its connection
pool's bookkeeping; aiohttp, which the webhook server already uses, a fraction
of that, and the broadcast is CPU-bound well below Telegram's limits
otherwise. Errors are mapped as python-telegram-bot's own HTTPXRequest maps
them; no message carries the request's URL (it holds the token).
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 32,
        read_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        pool_timeout: float = 1.0,
        media_read_timeout: float = 20.0,
    ):
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_read_timeout = media_read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._pool_size))

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("this AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data and request_data.contains_files else None
        read = _given(read_timeout, self._media_read_timeout if files else self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,  # waiting for a connection, then making it
            sock_connect=connect,
            sock_read=read,
        )
        data: aiohttp.FormData | dict[str, str] | None = request_data.json_parameters if request_data else None
        if files:
            form = aiohttp.FormData()
            for name, value in (request_data.json_parameters if request_data else {}).items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            data = form
        try:
            async with self._session.request(method, url, data=data, headers={"User-Agent": self.USER_AGENT}, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError:
            raise TimedOut() from None
        except aiohttp.ClientError as error:
            # Not chained: aiohttp's errors may show the URL, which holds the token.
            raise NetworkError(f"aiohttp.{type(error).__name__}") from None


def _given(value: float | object | None, default: float | None) -> float | None:
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value  # type: ignore[return-value]
