"""The embedded mode's broker writes each message whole: a worker polling the folder never
finds half a message, and a file that cannot be read does not stop it."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from unittest import mock

from django.test import SimpleTestCase
from kombu import Connection
from kombu.transport.virtual import BrokerState

from integration_manager.file_broker import SCHEME, WRITING_PREFIX, Channel, Transport


class FileBrokerTests(SimpleTestCase):
    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="hub-file-broker-"))
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)
        # kombu keeps the queues a process declared in one state for all its file brokers
        # (a hub has one folder), so it would not declare them in a new folder's control
        # table: each test starts with a state of its own.
        state = mock.patch.object(Transport, "global_state", BrokerState())
        state.start()
        self.addCleanup(state.stop)

    def connection(self) -> Connection:
        return Connection(
            f"{SCHEME}://",
            transport_options={
                "data_folder_in": str(self.folder),
                "data_folder_out": str(self.folder),
                "control_folder": str(self.folder / "control"),
                "store_processed": False,
            },
        )

    def test_a_reader_polling_while_messages_are_written_gets_each_one_whole(self) -> None:
        count = 300
        body = {"padding": "x" * 20_000}  # large enough to be written in more than one go
        received: list[int] = []
        errors: list[BaseException] = []

        def read() -> None:
            try:
                with self.connection() as connection:
                    queue = connection.SimpleQueue("celery")
                    while len(received) < count:
                        message = queue.get(timeout=10)
                        received.append(message.payload["number"])
                        message.ack()
                    queue.close()
            except BaseException as error:  # reported by the assertion below
                errors.append(error)

        reader = threading.Thread(target=read)
        reader.start()
        with self.connection() as connection:
            queue = connection.SimpleQueue("celery")
            for number in range(count):
                queue.put({**body, "number": number})
            queue.close()
        reader.join(timeout=60)
        self.assertEqual(errors, [])
        self.assertCountEqual(received, list(range(count)))
        self.assertEqual(list(self.folder.glob(f"{WRITING_PREFIX}*")), [])

    def test_a_message_is_visible_to_workers_only_once_it_is_whole(self) -> None:
        seen_while_writing: list[list[str]] = []
        real_replace = os.replace

        def replace(source, target):  # type: ignore[no-untyped-def]
            # The moment before the rename: written, under a name no worker reads.
            seen_while_writing.append(sorted(path.name for path in self.folder.glob("*.msg")))
            self.assertTrue(Path(source).name.startswith(WRITING_PREFIX))
            return real_replace(source, target)

        with (
            mock.patch("integration_manager.file_broker.os.replace", replace),
            self.connection() as connection,
        ):
            queue = connection.SimpleQueue("celery")
            queue.put({"number": 1})
            queue.close()
        self.assertEqual(seen_while_writing, [[]])
        self.assertEqual(len(list(self.folder.glob("*.celery.msg"))), 1)

    def test_a_new_exchange_table_appears_whole(self) -> None:
        # kombu wrote it in place, and a process publishing meanwhile read it empty.
        seen: list[tuple[bool, str]] = []
        real_link = os.link

        def link(source, target):  # type: ignore[no-untyped-def]
            seen.append((Path(target).exists(), Path(source).read_text()))
            return real_link(source, target)

        with (
            mock.patch("integration_manager.file_broker.os.link", link),
            self.connection() as connection,
        ):
            queue = connection.SimpleQueue("celery")
            queue.put({"number": 1})
            self.assertEqual(queue.get(timeout=5).payload, {"number": 1})
            queue.close()
        [(existed, written)] = seen
        self.assertFalse(existed)
        self.assertEqual(json.loads(written), [["celery", "", "celery"]])
        self.assertEqual(list((self.folder / "control").glob(f"{WRITING_PREFIX}*")), [])

    def test_a_file_that_is_not_a_whole_message_is_dropped_and_the_next_one_read(self) -> None:
        # What kombu's own transport can leave for a worker: a message file not written yet.
        (self.folder / "1_half.celery.msg").write_text("")
        with self.connection() as connection:
            queue = connection.SimpleQueue("celery")
            queue.put({"number": 7})
            # Which of the two a worker meets first depends on how the names sort (the
            # clock's digits), so the queue is read until it is empty.
            with self.assertLogs("integration_manager.file_broker", "WARNING") as logged:
                message = queue.get(timeout=5)
                message.ack()
                with self.assertRaises(queue.Empty):
                    queue.get(timeout=0.5)
            self.assertEqual(message.payload, {"number": 7})
            queue.close()
        self.assertIn("could not be read", logged.output[0])
        self.assertEqual(list(self.folder.glob("*.msg")), [])

    def test_a_thread_publishing_while_another_writes_the_binding_does_not_lose_its_message(
        self,
    ) -> None:
        # kombu notes the binding in the process's shared state, then writes the table file;
        # a second thread saw the binding noted, skipped declaring it and published through
        # a table that did not exist yet: the message went nowhere (CI saw it as Empty).
        writing = threading.Event()
        published = threading.Event()
        real_queue_bind = Channel._queue_bind

        def held_queue_bind(channel, *args):  # type: ignore[no-untyped-def]
            writing.set()
            # Without the lock the other thread publishes now, before the table exists;
            # with it, it waits for this write, and this wait ends at its deadline.
            published.wait(timeout=1)
            return real_queue_bind(channel, *args)

        def declare() -> None:
            with self.connection() as connection:
                connection.SimpleQueue("celery").close()

        with mock.patch.object(Channel, "_queue_bind", held_queue_bind):
            declaring = threading.Thread(target=declare)
            declaring.start()
            self.assertTrue(writing.wait(5))
            with self.connection() as connection:
                queue = connection.SimpleQueue("celery")
                queue.put({"number": 3})
                published.set()
                self.assertEqual(queue.get(timeout=5).payload, {"number": 3})
                queue.close()
            declaring.join(5)
