"""What cart and WMS connectors share: the base class, the registry and the settings form."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from crispy_forms.helper import FormHelper
from django import forms

from integration_manager.connector_errors import ConnectorError
from integration_manager.http import DEFAULT_TIMEOUT, HubSession, http_session
from integration_manager.outbound import ANY_PUBLIC_HOST, AddressInvalid, AddressRules, url_check

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
    """A connector's settings and credentials; credential fields are write-only.

    Addresses (address_fields) pass the outbound guard's rules; changing one clears the
    saved credentials, so the form asks for them again and says why.
    """

    def __init__(
        self,
        *args: Any,
        secret_fields: Collection[str] = (),
        saved_secrets: Collection[str] = (),
        address_fields: Collection[str] = (),
        address_rules: AddressRules = ANY_PUBLIC_HOST,
        default_base_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The setup pages own the <form> and its buttons; a subclass may give a layout.
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.secret_fields = tuple(secret_fields)
        self.address_fields = tuple(name for name in address_fields if name in self.fields)
        self.address_rules = address_rules
        self.default_base_url = default_base_url
        self.saved_settings = dict(self.initial)
        self.saved_secrets = set(saved_secrets)
        self.needed_secrets = {name for name in self.secret_fields if self.fields[name].required}
        for name in self.secret_fields:
            field = self.fields[name]
            field.widget = forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "new-password"}
            )
            if name in saved_secrets:
                field.required = False
                field.help_text = SECRET_KEPT_HELP
                field.widget.attrs["placeholder"] = "•••••••• saved"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in self.address_fields:
            value = cleaned.get(name)
            if name == "base_url" and value:
                try:
                    cleaned[name] = url_check(str(value), rules=self.address_rules)
                except AddressInvalid as problem:
                    self.add_error(name, str(problem))
        if self.saved_secrets and self.address_changed():
            for name in sorted(self.needed_secrets & self.saved_secrets):
                if not cleaned.get(name):
                    self.add_error(
                        name,
                        f"The {self.fields[name].label or name} was cleared because the "
                        "address changed: saved credentials only ever go where they were "
                        "typed for. Type it again.",
                    )
        return cleaned

    def address_changed(self) -> bool:
        """Whether this edit points the connection somewhere else than it was saved for."""
        return address_of(self.cleaned_data, self.address_fields, self.default_base_url) != (
            address_of(self.saved_settings, self.address_fields, self.default_base_url)
        )

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


def address_of(
    settings: Mapping[str, Any], fields: Collection[str], default_base_url: str = ""
) -> tuple[str, ...]:
    """Where a connection's credentials go, as comparable text (blank base URL: the default)."""
    values = []
    for name in fields:
        value = str(settings.get(name) or "").strip()
        if name == "base_url":
            value = (value or default_base_url).rstrip("/").lower()
        values.append(value)
    return tuple(values)


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
    # Where the connector may connect (integration_manager/outbound.py): fixed vendor hosts,
    # plain http. Every connection also passes the outbound guard.
    address_rules: ClassVar[AddressRules] = ANY_PUBLIC_HOST
    # The settings that say where the credentials are sent: changing one clears the saved
    # secrets, so no edit can point saved credentials at a server of the editor's choosing.
    address_fields: ClassVar[tuple[str, ...]] = ("base_url",)
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
    def form(
        cls,
        data: Any = None,
        *,
        saved_settings: Mapping[str, Any] | None = None,
        saved_secrets: Collection[str] = (),
        prefix: str = "settings",
    ) -> ConnectorSettingsForm:
        """The settings form of a new connection, or of a saved one (credentials write-only)."""
        return cls.settings_form(
            data,
            prefix=prefix,
            initial=dict(saved_settings or {}),
            secret_fields=cls.secret_fields,
            saved_secrets=saved_secrets,
            address_fields=cls.address_fields,
            address_rules=cls.address_rules,
            default_base_url=cls.default_base_url,
        )

    @classmethod
    def credentials_after_edit(
        cls,
        *,
        saved_settings: Mapping[str, Any],
        saved_credentials: Mapping[str, str],
        settings: Mapping[str, Any],
        credentials: Mapping[str, str],
    ) -> dict[str, str]:
        """The credentials a connection keeps after an edit: the saved ones with the typed ones
        over them, or only the typed ones when the edit changed where they are sent."""
        moved = address_of(saved_settings, cls.address_fields, cls.default_base_url) != (
            address_of({**saved_settings, **settings}, cls.address_fields, cls.default_base_url)
        )
        return dict(credentials) if moved else {**saved_credentials, **credentials}

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
            rules=self.address_rules,
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
