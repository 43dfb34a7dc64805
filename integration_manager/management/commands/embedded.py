"""`make run`: migrate, load the demo, then run web, worker and beat together until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from integration_manager.management.commands.demo_load import DEMO_PASSWORD, DEMO_USERS
from integration_manager.supervisor import Supervisor


class Command(BaseCommand):
    help = "Run the embedded hub (SQLite and a file broker under var/): web, worker and beat."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")

    def handle(self, *args: Any, port: int, no_demo: bool, **options: Any) -> None:
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
            self.stdout.write(self.style.WARNING("DATABASE_URL is set: running against it."))
        _check_port_free(port)
        (settings.VAR_DIR / "broker" / "processed").mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo:
            call_command("demo_load", verbosity=0)

        serve_links_at(port)
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "integration_manager"]
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            # The file broker has no broadcast channel: mingle, gossip and heartbeats are off.
            "worker": [
                *celery,
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            "beat": [
                *celery,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(settings.VAR_DIR / "celerybeat-schedule"),
            ],
        }
        supervisor = Supervisor(commands, cwd=settings.BASE_DIR)
        supervisor.start()
        admin_email = DEMO_USERS[0][0]
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  The hub is starting on http://127.0.0.1:{port}\n"
                f"  Demo login: {admin_email} / {DEMO_PASSWORD}"
                f"  (also {DEMO_USERS[1][0]} and {DEMO_USERS[2][0]}, same password)\n"
                "  Press Ctrl-C to stop.\n"
            )
        )

        def stop(signum: int, frame: object) -> None:
            supervisor.request_stop()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            # A process that exits (a worker after a broker restart, say) is started again.
            supervisor.run()
        finally:
            supervisor.stop()
            self.stdout.write("Stopped.")


def serve_links_at(port: int) -> None:
    """Links in e-mails (sent by the worker, which has no request to read the address from)
    point at the port this run serves, unless SITE_URL says otherwise."""
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise CommandError(
                f"Port {port} on 127.0.0.1 is in use. Stop what runs there, or run "
                f"`PORT=8001 make run`."
            )
