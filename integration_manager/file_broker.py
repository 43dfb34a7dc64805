"""The embedded mode's broker: kombu's file transport, with each message written whole.

kombu creates a message file under its final name and then writes it, and a worker that
polls the folder every 0.1 s can read the file while it is still empty: it then fails on
the JSON and exits ("Unrecoverable error"), and the message is lost (kombu issue #1551).
Here a message is written under a name no worker reads and renamed into place, which is
atomic within a folder; a message file that still cannot be read (one an older version
left half written) is dropped with a warning instead of stopping the worker.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from pathlib import Path
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)

SCHEME = "hubfile"
# A worker reads only names ending in ".<queue>.msg": a message being written is not one.
WRITING_PREFIX = ".writing-"
# kombu notes a binding in the process's shared state before it writes the exchange's table
# file, and another thread that declares the same binding meanwhile skips it and publishes
# through a table not yet written: its message is routed nowhere. Declaring and writing
# under one lock per process closes that window.
BIND_LOCK = threading.RLock()


class Channel(filesystem.Channel):
    def queue_bind(self, *args: Any, **kwargs: Any) -> Any:
        with BIND_LOCK:
            return super().queue_bind(*args, **kwargs)

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        writing = folder / f"{WRITING_PREFIX}{uuid.uuid4()}"
        try:
            writing.write_bytes(dumps(payload).encode())
            os.replace(writing, folder / name)
        except OSError as error:
            raise ChannelError(f"Cannot add a message to {folder}") from error

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        """kombu creates an exchange's table file empty and then writes it, and a process
        publishing meanwhile read '' and failed on the JSON (the test suite saw it): a new
        table is written whole under another name and linked into place."""
        table = self._exchange_file(exchange)
        if not table.exists():
            self.control_folder.mkdir(exist_ok=True)
            writing = self.control_folder / f"{WRITING_PREFIX}{uuid.uuid4()}"
            row = [routing_key or "", pattern or "", queue or ""]
            try:
                writing.write_bytes(dumps([row]).encode())
                os.link(writing, table)  # fails if another process made it first
                return
            except FileExistsError:
                pass  # made meanwhile: add this binding to it as kombu does
            except OSError as error:
                raise ChannelError(f"Cannot write {table}") from error
            finally:
                writing.unlink(missing_ok=True)
        super()._queue_bind(exchange, routing_key, pattern, queue)

    def _get(self, queue: str) -> Any:
        while True:
            try:
                return super()._get(queue)
            except ValueError as error:  # JSON that is not whole: not a message to run
                logger.warning("a message file of queue %s could not be read: %s", queue, error)


class Transport(filesystem.Transport):
    Channel = Channel
    driver_type = SCHEME
    driver_name = SCHEME


def file_broker_register() -> None:
    """Let `hubfile://` name this transport (kombu looks transports up by scheme)."""
    TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
