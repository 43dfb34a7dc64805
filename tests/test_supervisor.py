"""The embedded mode's supervisor starts a process again when it exits or is killed."""

from __future__ import annotations

import os
import signal
import sys

from django.conf import settings
from django.test import SimpleTestCase

from integration_manager.supervisor import Supervisor
from tests.workers import wait_for


class SupervisorTests(SimpleTestCase):
    def setUp(self) -> None:
        self.supervisor = Supervisor(
            {
                "worker": [sys.executable, "-c", "import time; time.sleep(60)"],
                "crasher": [sys.executable, "-c", "raise SystemExit(3)"],
            },
            cwd=settings.BASE_DIR,
            restart_pause=0.05,
        )
        self.supervisor.start()
        self.addCleanup(self.supervisor.stop)

    def restarted(self, name: str, times: int) -> bool:
        self.supervisor.check()
        return self.supervisor.children[name].restarts >= times

    def test_a_killed_worker_is_started_again(self) -> None:
        worker = self.supervisor.children["worker"]
        first = worker.process.pid
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: self.restarted("worker", 1), what="the worker to be restarted")
        self.assertNotEqual(worker.process.pid, first)
        self.assertIsNone(worker.process.poll())
        self.assertEqual(worker.exits, [-signal.SIGKILL])

    def test_a_process_that_keeps_exiting_is_restarted_with_a_growing_pause(self) -> None:
        wait_for(lambda: self.restarted("crasher", 3), what="three restarts")
        crasher = self.supervisor.children["crasher"]
        self.assertEqual(crasher.exits[:3], [3, 3, 3])
        self.assertGreaterEqual(crasher.pause, 0.05 * 2**3)
        self.assertEqual(self.supervisor.children["worker"].restarts, 0)


class EmbeddedLinksTests(SimpleTestCase):
    def test_make_run_on_another_port_links_to_that_port(self) -> None:
        from unittest import mock

        from integration_manager.management.commands.embedded import serve_links_at

        with mock.patch.dict(os.environ, clear=False):
            os.environ.pop("SITE_URL", None)
            serve_links_at(8001)
            self.assertEqual(os.environ["SITE_URL"], "http://127.0.0.1:8001")
            serve_links_at(9000)  # an address the operator set wins
            self.assertEqual(os.environ["SITE_URL"], "http://127.0.0.1:8001")
