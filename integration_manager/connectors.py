"""What cart and WMS connectors share: the base class, the registry and the settings form."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from django import forms

from integration_manager.connector_errors import ConnectorError
from integration_manager.http import DEFAULT_TIMEOUT, HubSession, http_session

SECRET_KEPT_HELP = "Saved. Leave blank to keep it, or type a new value to replace it."


@dataclass(frozen=True)
class ConnectionContext:
    """Who a connector works for; plain values, so connectors never touch models."""

    connection_id: int
    account_id: int
    label: str
    timezone: str = "UTC"
    merchant_id: int | None = None


class ConnectorSettingsForm(forms.Form):
    """A connector's settings and credentials; credential fields are write-only."""

    def __init__(
        self,
        *args: Any,
        secret_fields: Collection[str] = (),
        saved_secrets: Collection[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.secret_fields = tuple(secret_fields)
        for name in self.secret_fields:
            field = self.fields[name]
            field.widget = forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "new-password"}
            )
            if name in saved_secrets:
                field.required = False
                field.help_text = SECRET_KEPT_HELP
                field.widget.attrs["placeholder"] = "•••••••• saved"

    def settings_data(self) -> dict[str, Any]:
        return {
            name: _jsonable(value)
            for name, value in self.cleaned_data.items()
            if name not in self.secret_fields
        }

    def secrets_data(self) -> dict[str, str]:
        """Only the credentials typed in this time: blank means keep the saved one."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in self.secret_fields and value
        }


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class Connector(ABC):
    """Base of cart and WMS connectors: a key, a label, capabilities, a settings form.

    Optional operations are declared in `capabilities`; callers check `supports()` first.
    """

    # Templates list connector classes; they must not try to call (instantiate) them.
    do_not_call_in_templates = True
    key: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[str]] = frozenset()
    settings_form: ClassVar[type[ConnectorSettingsForm]] = ConnectorSettingsForm
    secret_fields: ClassVar[tuple[str, ...]] = ()
    default_base_url: ClassVar[str] = ""
    # Whether the connection's own base URL may point anywhere (emulators, self-hosted stores).
    timeout: ClassVar[tuple[float, float]] = DEFAULT_TIMEOUT

    def __init__(
        self,
        *,
        settings: Mapping[str, Any],
        credentials: Mapping[str, str],
        context: ConnectionContext,
    ) -> None:
        self.settings = dict(settings)
        self.credentials = credentials
        self.context = context

    def __repr__(self) -> str:  # never the credentials
        return f"<{type(self).__name__} {self.context.label!r}>"

    @classmethod
    def initial_settings(cls) -> dict[str, Any]:
        """Settings a new connection starts with, before the user's form is applied."""
        return {}

    @classmethod
    def supports(cls, capability: str) -> bool:
        return capability in cls.capabilities

    @property
    def base_url(self) -> str:
        return (self.settings.get("base_url") or self.default_base_url).rstrip("/")

    def session(self) -> HubSession:
        return http_session(
            label=self.label,
            secrets=[value for value in self.credentials.values() if isinstance(value, str)],
            timeout=self.timeout,
        )

    @abstractmethod
    def test_connection(self) -> str:
        """Check the settings and credentials; return what was found, or raise the error family."""

    def unsupported(self, operation: str) -> ConnectorError:
        return ConnectorError(f"{self.label} connections cannot {operation}.")


C = TypeVar("C", bound=Connector)


class ConnectorRegistry(Generic[C]):
    """Connector classes by key; registering a key twice is a mistake and raises."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._connectors: dict[str, type[C]] = {}

    def register(self, connector: type[C]) -> type[C]:
        if connector.key in self._connectors:
            raise ValueError(f"Two {self.kind} connectors use the key {connector.key!r}")
        self._connectors[connector.key] = connector
        return connector

    def get(self, key: str) -> type[C]:
        try:
            return self._connectors[key]
        except KeyError:
            raise LookupError(f"No {self.kind} connector is installed for {key!r}") from None

    def connector_for(
        self,
        *,
        key: str,
        settings: Mapping[str, Any],
        credentials: Mapping[str, str],
        context: ConnectionContext,
    ) -> C:
        """An instance of the connector of a saved connection (LookupError if not installed)."""
        return self.get(key)(settings=settings, credentials=credentials, context=context)

    def find(self, key: str) -> type[C] | None:
        """The class for a key, or None when that connector is not installed (any more)."""
        return self._connectors.get(key)

    def choices(self) -> list[tuple[str, str]]:
        return sorted(
            ((key, connector.label) for key, connector in self._connectors.items()),
            key=lambda choice: choice[1],
        )

    def __contains__(self, key: str) -> bool:
        return key in self._connectors

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._connectors.values(), key=lambda connector: connector.label))
