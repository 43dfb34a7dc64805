"""Closing a broker connection that Celery already collected must not stop the worker
(integration_manager/redis_broker.py): the state Celery 5.7's consumer leaves when Redis
goes away while a task is unacknowledged."""

from __future__ import annotations

from django.test import SimpleTestCase
from kombu import Connection
from kombu.common import ignore_errors

from tests.brokers import PrivateRedis


class CollectedConnectionTests(SimpleTestCase):
    def test_closing_a_collected_connection_with_an_unacknowledged_message_is_quiet(
        self,
    ) -> None:
        broker = PrivateRedis()
        broker.start()
        self.addCleanup(broker.close)
        connection = Connection(broker.url, transport_options={"visibility_timeout": 3600})
        queue = connection.SimpleQueue("guarded")
        queue.put({"number": 1})
        message = queue.get(timeout=5)
        self.assertEqual(message.payload, {"number": 1})  # taken, not acknowledged
        broker.stop(kill=True)
        # What Connection.collect() leaves when closing its channels was cut short: the
        # transport detached, the channel still open.
        connection._do_close_transport()
        channel = connection.default_channel
        # Celery's consumer closes it under ignore_errors(), which lets only connection
        # errors pass: an AttributeError here stopped the worker.
        ignore_errors(connection, connection.close)
        self.assertTrue(channel.closed)
