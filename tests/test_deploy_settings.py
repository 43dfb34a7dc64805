"""The production settings that docs/operations.md documents pass `check --deploy`."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet
from django.conf import settings
from django.test import SimpleTestCase

OPERATIONS = Path(settings.BASE_DIR) / "docs" / "operations.md"


def documented_production_environment() -> dict[str, str]:
    """The VARIABLE=value lines of the "Production checklist" block; <...> are made here."""
    text = OPERATIONS.read_text(encoding="utf-8")
    section = text.split("## Production checklist", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    environment = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
    placeholders = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    for name, value in environment.items():
        if value.startswith("<"):
            environment[name] = placeholders[name]
    return environment


def check_deploy(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as var_dir:
        # Nothing from the test run leaks in: only the documented variables and a var dir
        # (so no .env or var/local.env of this checkout is read either).
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": var_dir,
            "HUB_VAR_DIR": var_dir,
            "DJANGO_SETTINGS_MODULE": "integration_manager.settings",
            **environment,
        }
        return subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


class DeployCheckTests(SimpleTestCase):
    def test_the_documented_production_settings_pass_check_deploy(self) -> None:
        environment = documented_production_environment()
        self.assertEqual(environment["DEBUG"], "false")
        result = check_deploy(environment)
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        self.assertIn("System check identified no issues", result.stdout)
        self.assertNotIn("WARNINGS", result.stderr + result.stdout)

    def test_the_embedded_defaults_are_what_check_deploy_warns_about(self) -> None:
        # So the test above means something: without the TLS variables the check fails.
        environment = {
            name: value
            for name, value in documented_production_environment().items()
            if name in {"DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "ALLOWED_HOSTS"}
        }
        result = check_deploy(environment)
        self.assertNotEqual(result.returncode, 0)
        for warning in ["security.W004", "security.W008", "security.W012", "security.W016"]:
            self.assertIn(warning, result.stderr + result.stdout)
