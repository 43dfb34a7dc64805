"""Shopify's GraphQL Admin API on 127.0.0.1: orders, fulfillment orders, stock and webhooks."""

from __future__ import annotations

import base64
import bisect
import copy
import gzip
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import requests
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    build_client_schema,
    execute,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    parse,
    validate,
    value_from_ast,
    value_from_ast_untyped,
)
from graphql.execution.values import get_variable_values

from tests.emulators.base import Emulator, Request, Response, route

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "contracts" / "shopify_admin_schema_2025-01.json.gz"
FIXTURE_ORDER = Path(__file__).parent / "data" / "shopify" / "order.json"

# Made up for the emulator; the shapes of Shopify's own (shpat_ tokens, shpss_ secrets).
ACCESS_TOKEN = "shpat_emulator_token_0001"
WEBHOOK_SECRET = "shpss_emulator_client_secret"

PUBLISHED_FORM = "2025-01"  # the schema as Shopify published it
IDEMPOTENT_FORM = "2026-04"  # that schema with the 2026-04 inventory changes applied
VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")

ALL_SCOPES = frozenset(
    {
        "read_orders",
        "write_orders",
        "read_merchant_managed_fulfillment_orders",
        "write_merchant_managed_fulfillment_orders",
        "read_products",
        "read_locations",
        "read_inventory",
        "write_inventory",
    }
)
FULFILLMENT_READ_SCOPES = (
    "read_assigned_fulfillment_orders",
    "read_merchant_managed_fulfillment_orders",
    "read_third_party_fulfillment_orders",
)
FULFILLMENT_WRITE_SCOPES = tuple(s.replace("read_", "write_") for s in FULFILLMENT_READ_SCOPES)

INVALID_TOKEN = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
RATE_LIMITED = {
    "errors": "Exceeded 2 calls per second for api client. "
    "Reduce request rates to resume uninterrupted service."
}
QUERY_MISSING = {"errors": {"query": "Required parameter missing or invalid"}}
UNKNOWN_SHOP_PAGE = (
    "<!DOCTYPE html><html><head><title>Not Found</title></head>"
    "<body><h1>Sorry, this shop is currently unavailable.</h1></body></html>"
)
SET_REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)

CENT = Decimal("0.01")
PRIMARY_LOCATION = "gid://shopify/Location/487838322"  # the fixture location's id
FIRST_ORDER_ID = 450789469  # the fixture order's id
FIRST_SEEDED_ORDER_ID = 900_000_000
# Child ids are derived from the order id, so a seeded order needs no stored state:
# line = order * 1000 + n, fulfillment order = order * 100 + n, its line = line * 100 + n.
LINE_FACTOR = 1000
FULFILLMENT_ORDER_FACTOR = 100

_schemas: dict[str, GraphQLSchema] = {}
_schemas_lock = threading.Lock()


# schema --------------------------------------------------------------------------------


def schema_form(version: str) -> str:
    """Which schema an API version is checked against (see admin_schema)."""
    if version == "unstable" or version >= IDEMPOTENT_FORM:
        return IDEMPOTENT_FORM
    return PUBLISHED_FORM


def admin_schema(form: str = PUBLISHED_FORM) -> GraphQLSchema:
    """The Admin API schema: "2025-01" as published, or "2026-04", the same with the inventory
    changes of 2026-04 (changeFromQuantity instead of compareQuantity, no
    ignoreCompareQuantity, an @idempotent(key:) directive) written in by hand, because no
    newer schema was found in a public repository (reference/shopify-graphql/SOURCE.md)."""
    with _schemas_lock:
        if form not in _schemas:
            introspection = json.loads(gzip.decompress(SCHEMA_FILE.read_bytes()))["data"]
            if form == IDEMPOTENT_FORM:
                introspection = _with_2026_04_inventory(introspection)
            schema = build_client_schema(introspection)
            # graphql-core refuses the published schema as a whole (two deprecated fields
            # implement undeprecated interface fields); it is still the contract, so it is
            # marked as checked rather than "fixed" (tests/contracts/README.md).
            schema._validation_errors = []
            _schemas[form] = schema
        return _schemas[form]


def _with_2026_04_inventory(introspection: dict[str, Any]) -> dict[str, Any]:
    schema = copy.copy(introspection["__schema"])
    types = []
    for type_ in schema["types"]:
        if type_["name"] == "InventoryQuantityInput":
            type_ = copy.deepcopy(type_)
            fields = [f for f in type_["inputFields"] if f["name"] != "compareQuantity"]
            fields.append(
                {
                    "name": "changeFromQuantity",
                    "description": "The quantity the caller expects; null skips the check.",
                    "type": {"kind": "SCALAR", "name": "Int", "ofType": None},
                    "defaultValue": None,
                }
            )
            type_["inputFields"] = fields
        elif type_["name"] == "InventorySetQuantitiesUserErrorCode":
            # The codes for the new check; their real names are not published in a schema
            # we have, so these are the emulator's.
            type_ = copy.deepcopy(type_)
            type_["enumValues"] = [
                *type_["enumValues"],
                *(
                    {
                        "name": name,
                        "description": name,
                        "isDeprecated": False,
                        "deprecationReason": None,
                    }
                    for name in ("CHANGE_FROM_QUANTITY_REQUIRED", "CHANGE_FROM_QUANTITY_STALE")
                ),
            ]
        elif type_["name"] == "InventorySetQuantitiesInput":
            type_ = copy.deepcopy(type_)
            type_["inputFields"] = [
                f for f in type_["inputFields"] if f["name"] != "ignoreCompareQuantity"
            ]
        types.append(type_)
    schema["types"] = types
    schema["directives"] = [
        *schema["directives"],
        {
            "name": "idempotent",
            "description": "Makes a mutation safe to send again with the same key.",
            "locations": ["FIELD"],
            "args": [
                {
                    "name": "key",
                    "description": "The idempotency key.",
                    "type": {
                        "kind": "NON_NULL",
                        "name": None,
                        "ofType": {"kind": "SCALAR", "name": "String", "ofType": None},
                    },
                    "defaultValue": None,
                }
            ],
        },
    ]
    return {"__schema": schema}


VALIDATION_CODES = (
    ("Cannot query field", "undefinedField"),
    ("Unknown argument", "argumentNotAccepted"),
    ("Unknown directive", "undefinedDirective"),
    ("Unknown type", "undefinedType"),
    ("is never used", "variableNotUsed"),
    ("is not defined", "undefinedVariable"),
    ("is required, but it was not provided", "missingRequiredArguments"),
    ("must have a selection of subfields", "selectionMismatch"),
    ("must not have a selection", "selectionMismatch"),
)


def validation_errors(document: str, form: str) -> tuple[DocumentNode | None, list[dict]]:
    """Parse and validate a document; errors come in Shopify's shape (message, locations,
    extensions.code)."""
    try:
        ast = parse(document)
    except GraphQLError as error:
        return None, [_shaped(error, "parseError")]
    errors = validate(admin_schema(form), ast)
    shaped = []
    for error in errors:
        code = next(
            (code for text, code in VALIDATION_CODES if text in error.message),
            "validationError",
        )
        shaped.append(_shaped(error, code))
    return (None, shaped) if shaped else (ast, [])


def document_problems(version: str, query: str, variables: dict[str, Any]) -> list[str]:
    """Why a request would be refused by the schema of its API version ([] when valid):
    the document's validation errors and the errors coercing its variables."""
    form = schema_form(version)
    schema = admin_schema(form)
    try:
        ast = parse(query)
    except GraphQLError as error:
        return [error.message]
    problems = [error.message for error in validate(schema, ast)]
    if problems:
        return problems
    for definition in ast.definitions:
        if isinstance(definition, OperationDefinitionNode):
            coerced = get_variable_values(
                schema, definition.variable_definitions or (), variables or {}
            )
            if isinstance(coerced, list):
                problems.extend(error.message for error in coerced)
    return problems


def _shaped(error: GraphQLError, code: str) -> dict[str, Any]:
    shaped: dict[str, Any] = {"message": error.message}
    if error.locations:
        shaped["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    shaped["extensions"] = {"code": code}
    return shaped


def query_cost(
    schema: GraphQLSchema, ast: DocumentNode, variables: dict[str, Any], operation: str | None
) -> int:
    """Shopify's requested cost, approximately: objects 1, scalars and enums 0, a connection
    2 + first x (its selection), a list with `first` first x (1 + its selection), a mutation
    10. Shopify's exact figures may differ; the connector reads the figure each answer
    reports rather than assuming these."""
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next(
        (o for o in operations if operation and o.name and o.name.value == operation),
        operations[0] if operations else None,
    )
    if chosen is None:
        return 0
    if chosen.operation.value == "mutation":
        return 10 * len(chosen.selection_set.selections)
    return _selection_cost(schema, chosen.selection_set, schema.query_type, variables, fragments)


def _selection_cost(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode | None,
    parent: Any,
    variables: dict[str, Any],
    fragments: dict[str, FragmentDefinitionNode],
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += _field_cost(schema, selection, parent, variables, fragments)
        elif isinstance(selection, InlineFragmentNode):
            target = (
                schema.get_type(selection.type_condition.name.value)
                if selection.type_condition
                else parent
            )
            total += _selection_cost(schema, selection.selection_set, target, variables, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                target = schema.get_type(fragment.type_condition.name.value)
                total += _selection_cost(
                    schema, fragment.selection_set, target, variables, fragments
                )
    if isinstance(parent, GraphQLUnionType):
        return max(total, 1)
    return total


def _field_cost(
    schema: GraphQLSchema,
    selection: FieldNode,
    parent: Any,
    variables: dict[str, Any],
    fragments: dict[str, FragmentDefinitionNode],
) -> int:
    name = selection.name.value
    if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return 0
    field = parent.fields.get(name)
    if field is None:
        return 0
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return 0
    child = _selection_cost(schema, selection.selection_set, named, variables, fragments)
    arguments = {
        a.name.value: value_from_ast_untyped(a.value, variables) for a in selection.arguments or ()
    }
    size = arguments.get("first") or arguments.get("last") or 1
    # A variable of the wrong type is refused when the call runs; cost it as one.
    size = size if isinstance(size, int) else 1
    if named.name.endswith("Connection"):
        return 2 + size * child
    # A list sized by `first` (Order.fulfillments) counts each object it may hold.
    return size * (1 + child)


# execution -----------------------------------------------------------------------------


class _NullBubble(Exception):
    """A null reached a non-null field: the nearest nullable field above becomes null."""


@dataclass
class _Info:
    """The part of graphql-core's GraphQLResolveInfo the resolvers here use."""

    field_name: str
    field_nodes: list[FieldNode]
    context: Any
    variable_values: dict[str, Any]
    path: list[str | int]


class _Run:
    """GraphQL execution over dicts, for documents already validated: a dict's key is the
    field, a callable value is called with (info, **arguments). It follows the spec's rules
    that matter here (aliases, fragments, @skip/@include, abstract types by __typename,
    null propagation, errors with locations and path) without graphql-core's per-field
    machinery, which made paging 100,000 orders several times slower. ExecutionTests keep
    it answering as graphql-core does."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        context: Any,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.context = context
        self.errors: list[dict[str, Any]] = []
        self._collected: dict[tuple, dict[str, list[FieldNode]]] = {}

    def object(
        self,
        type_: GraphQLObjectType,
        source: Any,
        nodes: Sequence[FieldNode | OperationDefinitionNode],
        path: list[str | int],
    ) -> dict[str, Any]:
        # A page of orders collects the same selection for each order: once is enough.
        cache_key = (type_.name, *map(id, nodes))
        fields = self._collected.get(cache_key)
        if fields is None:
            fields = {}
            for node in nodes:
                if node.selection_set is not None:
                    self._collect(type_, node.selection_set, fields)
            self._collected[cache_key] = fields
        result: dict[str, Any] = {}
        for key, field_nodes in fields.items():
            name = field_nodes[0].name.value
            if name == "__typename":
                result[key] = type_.name
                continue
            result[key] = self._field(
                type_.name, type_.fields[name], field_nodes, source, [*path, key]
            )
        return result

    def _collect(
        self,
        type_: GraphQLObjectType,
        selection_set: SelectionSetNode,
        fields: dict[str, list[FieldNode]],
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, type_):
                    self._collect(type_, selection.selection_set, fields)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                if self._applies(fragment.type_condition.name.value, type_):
                    self._collect(type_, fragment.selection_set, fields)

    def _included(self, selection: Any) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name in ("skip", "include"):
                value = value_from_ast(
                    directive.arguments[0].value, GraphQLNonNull(GraphQLBoolean), self.variables
                )
                if (name == "skip") == bool(value):
                    return False
        return True

    def _applies(self, condition: str, type_: GraphQLObjectType) -> bool:
        if condition == type_.name:
            return True
        abstract = self.schema.get_type(condition)
        return is_abstract_type(abstract) and self.schema.is_sub_type(abstract, type_)

    def _field(
        self, owner: str, field: Any, nodes: list[FieldNode], source: Any, path: list[str | int]
    ) -> Any:
        name = nodes[0].name.value
        try:
            value = source.get(name) if isinstance(source, dict) else getattr(source, name, None)
            if callable(value):
                arguments = {}
                given = {
                    argument.name.value: argument.value for argument in nodes[0].arguments or ()
                }
                for argument_name, argument in field.args.items():
                    if argument_name in given:
                        coerced = value_from_ast(
                            given[argument_name], argument.type, self.variables
                        )
                        if coerced is not Undefined:
                            arguments[argument_name] = coerced
                    elif argument.default_value is not Undefined:
                        arguments[argument_name] = argument.default_value
                info = _Info(name, nodes, self.context, self.variables, path)
                value = value(info, **arguments)
            return self._complete(field.type, nodes, value, path, owner=owner)
        except GraphQLError as error:
            self.errors.append(
                GraphQLError(
                    error.message, nodes=nodes, path=path, extensions=error.extensions
                ).formatted
            )
            if is_non_null_type(field.type):
                raise _NullBubble from None
            return None
        except _NullBubble:
            if is_non_null_type(field.type):
                raise
            return None

    def _complete(
        self, type_: Any, nodes: list[FieldNode], value: Any, path: list, *, owner: str
    ) -> Any:
        if is_non_null_type(type_):
            completed = self._complete(type_.of_type, nodes, value, path, owner=owner)
            if completed is None:
                field = f"{owner}.{nodes[0].name.value}"
                self.errors.append(
                    GraphQLError(
                        f"Cannot return null for non-nullable field {field}.",
                        nodes=nodes,
                        path=path,
                    ).formatted
                )
                raise _NullBubble
            return completed
        if value is None:
            return None
        if is_list_type(type_):
            return [
                self._complete(type_.of_type, nodes, item, [*path, index], owner=owner)
                for index, item in enumerate(value)
            ]
        if is_leaf_type(type_):
            return type_.serialize(value)
        if is_abstract_type(type_):
            type_ = self.schema.get_type(value["__typename"])
        return self.object(type_, value, nodes, path)


def run_document(
    schema: GraphQLSchema,
    ast: DocumentNode,
    *,
    root: dict[str, Any],
    variables: dict[str, Any],
    operation_name: str | None,
    context: Any,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(data, errors) of a validated document, as graphql-core's execute() would give them."""
    operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (o for o in operations if o.name and o.name.value == operation_name),
        None,
    )
    if operation is None:
        if operation_name or len(operations) != 1:
            message = (
                f"Unknown operation named '{operation_name}'."
                if operation_name
                else "Must provide operation name if query contains multiple operations."
            )
            return None, [{"message": message, "extensions": {"code": "INVALID_OPERATION"}}]
        operation = operations[0]
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    if isinstance(coerced, list):
        return None, [
            {**error.formatted, "extensions": {"code": "INVALID_VARIABLE"}} for error in coerced
        ]
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}
    run = _Run(schema, fragments, getattr(coerced, "coerced", coerced), context)
    root_type = (
        schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    )
    try:
        data = run.object(root_type, root, [operation], [])
    except _NullBubble:
        data = None
    return data, run.errors


def _objects_in(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(_objects_in(v) for v in value.values())
    if isinstance(value, list):
        return sum(_objects_in(v) for v in value)
    return 0


# small conversions ---------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _amount(value: Decimal) -> str:
    # Shopify writes amounts like "199.0" and "11.94": at least one decimal, no padding.
    text = format(value.quantize(CENT).normalize(), "f")
    return text if "." in text else text + ".0"


def _bag(value: Decimal, currency: str) -> dict[str, Any]:
    money = {"amount": _amount(value), "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def _legacy(global_id: str) -> int:
    return int(str(global_id).rsplit("/", 1)[-1])


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _time(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value.replace(microsecond=0) if value else None
    return datetime.fromisoformat(value).astimezone(UTC).replace(microsecond=0)


def _connection(
    items: Sequence[Any], *, first: int | None, after: str | None, node: Callable[[Any], Any]
) -> dict[str, Any]:
    """A connection over a short in-memory list (cursors are positions)."""
    start = int(base64.b64decode(after).decode()) + 1 if after else 0
    size = first if first is not None else len(items)
    chosen = list(enumerate(items))[start : start + size]
    nodes = [node(item) for _, item in chosen]
    cursors = [base64.b64encode(str(index).encode()).decode() for index, _ in chosen]
    return {
        "nodes": nodes,
        "edges": [{"node": n, "cursor": c} for n, c in zip(nodes, cursors, strict=True)],
        "pageInfo": {
            "hasNextPage": start + size < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def _search_terms(query: str) -> list[tuple[str, str, str]]:
    """(field, comparator, value) for each term of Shopify's search syntax we understand."""
    terms = []
    for match in re.finditer(
        r"(?P<field>[a-z_]+):(?P<op>>=|<=|>|<|)(?:'(?P<sq>[^']*)'|\"(?P<dq>(?:[^\"\\]|\\.)*)\""
        r"|(?P<bare>[^\s]+))",
        query or "",
    ):
        value = match.group("sq") or match.group("dq") or match.group("bare") or ""
        if match.group("dq") is not None:
            value = re.sub(r"\\(.)", r"\1", match.group("dq"))
        terms.append((match.group("field"), match.group("op"), value))
    return terms


def _order_filters(
    query: str,
) -> tuple[tuple[datetime, int], list[Callable[[dict[str, Any]], bool]]]:
    """The orders search as the index position it starts at (updated_at:>= / >) and the
    checks each order must pass (the other terms we understand)."""
    lower: tuple[datetime, int] = (datetime.min.replace(tzinfo=UTC), -1)
    checks: list[Callable[[dict[str, Any]], bool]] = []
    for field, op, value in _search_terms(query):
        if field == "updated_at" and op in (">=", ">"):
            moment = datetime.fromisoformat(value).astimezone(UTC)
            lower = max(lower, (moment, -1) if op == ">=" else (moment, 2**63))
            continue
        check = _order_check(field, op, value)
        if check is not None:
            checks.append(check)
    return lower, checks


def _order_check(field: str, op: str, value: str) -> Callable[[dict[str, Any]], bool] | None:
    if field in ("updated_at", "created_at"):
        moment = datetime.fromisoformat(value).astimezone(UTC)
        return lambda order: _compare(order[field], op, moment)
    if field == "financial_status":
        return lambda order: order["financial_status"] == value.upper()
    if field == "status" and value == "cancelled":
        return lambda order: order["cancelled_at"] is not None
    if field == "id":
        number = int(value)
        return lambda order: _compare(order["id"], op, number)
    return None


def _compare(left: Any, op: str, right: Any) -> bool:
    return {
        ">=": left >= right,
        "<=": left <= right,
        ">": left > right,
        "<": left < right,
        "": left == right,
    }[op]


class _Refused(Exception):
    """A mutation's input refused: its userError, with the input path of the field."""

    def __init__(self, text: str, *path: str | int) -> None:
        super().__init__(text)
        self.text = text
        self.path = [str(part) for part in path]


# What one group of a fulfillment takes: the order, the fulfillment order, (line, quantity)s.
_Plan = tuple[dict[str, Any], dict[str, Any], list[tuple[dict[str, Any], int]]]


def _picks(
    index: int, fulfillment_order: dict[str, Any], requested: list[dict[str, Any]] | None
) -> list[tuple[dict[str, Any], int]]:
    """The (line, quantity) pairs a group asks for; no list: all that is left on it."""
    by_id = {line["id"]: line for line in fulfillment_order["line_items"]}
    if not requested:
        return [(line, line["remaining"]) for line in by_id.values() if line["remaining"]]
    picks = []
    for line_index, item in enumerate(requested):
        line_id = (
            _legacy(item["id"])
            if item["id"].startswith("gid://shopify/FulfillmentOrderLineItem/")
            else None
        )
        line = by_id.get(line_id) if line_id is not None else None
        path = (index, "fulfillmentOrderLineItems", line_index)
        if line is None:
            raise _Refused("Fulfillment order line item does not exist.", *path, "id")
        if not 0 < item["quantity"] <= line["remaining"]:
            raise _Refused(
                "Invalid fulfillment order line item quantity requested.", *path, "quantity"
            )
        picks.append((line, item["quantity"]))
    return picks


def _tracking(tracking_input: dict[str, Any]) -> list[dict[str, Any]]:
    """A FulfillmentTrackingInput (number or numbers, url or urls) as stored tracking."""
    numbers = tracking_input.get("numbers") or (
        [tracking_input["number"]] if tracking_input.get("number") else []
    )
    urls = tracking_input.get("urls") or (
        [tracking_input["url"]] if tracking_input.get("url") else []
    )
    return [
        {
            "number": number,
            "company": tracking_input.get("company"),
            "url": urls[position] if position < len(urls) else None,
        }
        for position, number in enumerate(numbers)
    ]


def _user_error(code: str, field: list[str], message: str) -> dict[str, Any]:
    return {"code": code, "field": field, "message": message}


def _set_input_errors(input: dict[str, Any]) -> list[dict[str, Any]]:
    """What Shopify refuses about the input as a whole, before any quantity."""
    if input["name"] not in ("available", "on_hand"):
        return [
            _user_error(
                "INVALID_NAME", ["input", "name"], "The quantity name must be available or on_hand."
            )
        ]
    if input["reason"] not in SET_REASONS:
        return [
            _user_error("INVALID_REASON", ["input", "reason"], "The specified reason is invalid.")
        ]
    return []


def _change_from_error(
    quantity: dict[str, Any], current: int, path: list[str]
) -> dict[str, Any] | None:
    """2026-04 and later: changeFromQuantity is required; null skips the check."""
    if "changeFromQuantity" not in quantity:
        return _user_error(
            "CHANGE_FROM_QUANTITY_REQUIRED",
            [*path, "changeFromQuantity"],
            "changeFromQuantity is required; send null to skip the check.",
        )
    if quantity["changeFromQuantity"] not in (None, current):
        return _user_error(
            "CHANGE_FROM_QUANTITY_STALE",
            [*path, "changeFromQuantity"],
            "The changeFromQuantity does not match the current quantity.",
        )
    return None


def _compare_error(
    quantity: dict[str, Any], current: int, path: list[str]
) -> dict[str, Any] | None:
    """Up to 2026-01, without ignoreCompareQuantity: compareQuantity must match."""
    if quantity.get("compareQuantity") is None:
        return _user_error(
            "COMPARE_QUANTITY_REQUIRED",
            [*path, "compareQuantity"],
            "The compareQuantity argument must be given to each quantity or ignored using "
            "ignoreCompareQuantity.",
        )
    if quantity["compareQuantity"] != current:
        return _user_error(
            "COMPARE_QUANTITY_STALE",
            [*path, "compareQuantity"],
            "The compareQuantity value does not match the stored value.",
        )
    return None


def _line_item(
    order_id: int, number: int, spec: dict[str, Any], *, tax_rate: Decimal | None
) -> dict[str, Any]:
    """A stored line from its spec; its taxes are added once the discounts are spread."""
    quantity = int(spec.get("quantity", 1))
    discounts = []
    if spec.get("discount"):
        discounts.append(
            {"amount": Decimal(str(spec["discount"])), "method": "ACROSS", "selection": "EXPLICIT"}
        )
    title = spec.get("title", f"Product {spec.get('sku', number)}")
    variant_title = spec.get("variant_title")
    return {
        "id": order_id * LINE_FACTOR + number,
        "sku": spec.get("sku"),
        "title": title,
        "variant_title": variant_title,
        "name": f"{title} - {variant_title}" if variant_title else title,
        "quantity": quantity,
        "current_quantity": int(spec.get("current_quantity", quantity)),
        "price": Decimal(str(spec.get("price", "10.00"))),
        "requires_shipping": spec.get("requires_shipping", True),
        "discounts": discounts,
        "taxes": [],
        "location_id": spec.get("location_id", PRIMARY_LOCATION),
        "inventory_item_id": None,
        "_tax": spec.get("tax"),
        "_tax_rate": spec.get("tax_rate", tax_rate),
    }


def _spread_discount(
    line_items: list[dict[str, Any]], order_discount: Decimal, discount_code: str | None
) -> None:
    """An order-level code spread over the lines by their discounted amount; the last line
    takes the rounding remainder, as Shopify does."""
    bases = [
        line["price"] * line["quantity"] - sum(d["amount"] for d in line["discounts"])
        for line in line_items
    ]
    whole = sum(bases, Decimal(0))
    left = order_discount
    for position, (line, base) in enumerate(zip(line_items, bases, strict=True)):
        share = (
            left
            if position == len(line_items) - 1
            else _cents(order_discount * base / whole if whole else Decimal(0))
        )
        left -= share
        line["discounts"].append(
            {"amount": share, "method": "ACROSS", "selection": "ALL", "code": discount_code}
        )


def _fulfillment_orders(
    order_id: int, line_items: list[dict[str, Any]], *, cancelled: bool
) -> list[dict[str, Any]]:
    """One fulfillment order per location of the lines that are left to ship."""
    by_location: dict[str, dict[str, Any]] = {}
    for line in line_items:
        if not line["requires_shipping"] or line["current_quantity"] <= 0:
            continue
        fo = by_location.setdefault(
            line["location_id"],
            {
                "id": order_id * FULFILLMENT_ORDER_FACTOR + len(by_location) + 1,
                "status": "CLOSED" if cancelled else "OPEN",
                "location_id": line["location_id"],
                "line_items": [],
            },
        )
        fo["line_items"].append(
            {
                "id": line["id"] * FULFILLMENT_ORDER_FACTOR + len(by_location),
                "line_item_id": line["id"],
                "total": line["current_quantity"],
                "remaining": line["current_quantity"],
            }
        )
    return list(by_location.values())


class ShopifyEmulator(Emulator):
    """Shopify's GraphQL Admin API (POST /admin/api/{version}/graphql.json) for one shop.

    Every document is validated against the published 2025-01 schema (versions before
    2026-04) or that schema with the 2026-04 inventory changes (2026-04 and later), then run
    over an in-memory store by a small executor that answers as graphql-core's execute()
    does (reference_executor = True uses graphql-core itself, slower). Errors, userErrors,
    the cost bucket and the fulfillment rules follow the real API's shapes. Paging 100,000
    seeded orders through the connector takes under a minute here, in Shopify-sized
    pages (a dozen orders each, by query cost).

    Set up the shop:
        ShopifyEmulator(access_token=..., webhook_secret=..., shop_name=...)
        add_order(lines=[{"sku": "A", "quantity": 2, "price": "10.00", "tax_rate": "0.06",
                  "discount": "1.00", "location_id": gid}], shipping_lines=[{"title":
                  "Standard", "price": "5.00"}], order_discount="3.00", taxes_included=False,
                  financial_status="PAID", updated_at=..., ...) -> order (a dict; ["id"])
        add_fixture_order(**overrides) -> order      (order.json of shopify_python_api)
        update_order(order_id, **changes) -> order   (bumps updatedAt to now)
        cancel_order(order_id, reason="CUSTOMER") -> order
        seed_orders(count, start=None, step=timedelta(seconds=1), lines=2) -> range of ids
                                                     (lazily generated, for benchmarks)
        order(order_id) -> order; order_totals(order_id) -> {subtotal, shipping, tax, total}
        add_location(name) -> location gid; add_variant(sku, tracked=True,
                  locations=None, available=0) -> inventory item gid
        hold_fulfillment_orders(order_id)            (status ON_HOLD)
    Read what the connector did:
        fulfillments -> [{"id", "order_id", "tracking": [{company, number, url}],
                          "lines": [(fulfillment order line gid, quantity)],
                          "notify_customer", "fulfillment_order_ids"}]
        inventory_sets -> [{"version", "input", "idempotency_key"}]  (accepted calls)
        available(sku, location_id=None) -> int | None
        graphql_calls() -> [(version, query, variables)]   (every POST received)
    Misbehave:
        access_token = "other"        -> 401 with Shopify's body
        shop_exists = False           -> 404 page for every call
        revoke_scope(scope)           -> ACCESS_DENIED errors / empty fulfillment orders
        set_throttle(maximum, restore_rate=, available=None); set_throttle(None)
                                      -> the cost bucket (THROTTLED when empty); None: off.
                                         Default 10,000 points refilled at 1,000 a second;
                                         benchmarks switch it off
        max_query_cost = 1000         -> MAX_COST_EXCEEDED above it
        rate_limit_next(retry_after=2.0, times=1)   -> HTTP 429 with Retry-After
        change_while_paging(after_page, action)     -> action() right after that orders page
        delay_answer_next(seconds)    -> do the next call, answer late (unknown outcome)
        break_order(order_id)         -> a line price that is not a number
        delete_variant(sku)           -> its inventory items become unknown
        and the base class: fail_next(status), slow_next(seconds), malformed_next()
    Webhooks:
        webhook_delivery(topic, order_id, secret=None, webhook_id=None) -> (headers, body)
        send_webhook(url, topic, order_id, **same) -> requests.Response
    """

    name = "shopify"

    def __init__(
        self,
        *,
        access_token: str = ACCESS_TOKEN,
        webhook_secret: str = WEBHOOK_SECRET,
        shop_name: str = "Hub Test Shop",
        shop_domain: str = "hub-test.myshopify.com",
        scopes: Iterable[str] = ALL_SCOPES,
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.webhook_secret = webhook_secret
        self.shop_name = shop_name
        self.shop_domain = shop_domain
        self.scopes = set(scopes)
        self.shop_exists = True
        # graphql-core's own execute(), slower; ExecutionTests compare the two.
        self.reference_executor = False
        self.currency = "USD"
        self.max_query_cost = 1000
        # Shopify Plus-like figures, so service tests are not slowed; tests of the throttle
        # set their own, benchmarks switch it off with set_throttle(None).
        self.bucket: dict[str, float] | None = None
        self.set_throttle(maximum=10_000, restore_rate=1_000)

        self.locations: dict[str, dict[str, Any]] = {
            PRIMARY_LOCATION: {"name": "Fifth Avenue AppleStore", "active": True}
        }
        self._orders: dict[int, dict[str, Any]] = {}
        self._index: list[tuple[datetime, int]] = []  # (updated_at, id), sorted
        self._seeded: list[tuple[int, int, datetime, timedelta, int]] = []
        self._next_order_id = FIRST_ORDER_ID
        self._next_number = 1001
        self._next_fulfillment_id = 255858046
        self._next_item_id = 808950810
        # inventory item gid -> {"sku", "tracked", "variant_id", "levels": {location: qty}}
        self.items: dict[str, dict[str, Any]] = {}
        self._items_by_sku: dict[str, list[str]] = {}
        self.fulfillments: list[dict[str, Any]] = []
        self.inventory_sets: list[dict[str, Any]] = []
        self._idempotency: dict[str, dict[str, Any]] = {}
        self._orders_pages_served = 0
        self._answer_delays: list[float] = []
        self._paging_actions: dict[int, list[Callable[[], None]]] = {}
        self._documents: dict[tuple[str, str], tuple[DocumentNode | None, list[dict]]] = {}

    # set-up API ------------------------------------------------------------------------

    def set_throttle(
        self,
        maximum: float | None = 1000,
        *,
        restore_rate: float = 100,
        available: float | None = None,
    ) -> None:
        """The leaky bucket of query cost; maximum=None switches the throttle off."""
        with self.lock:
            if maximum is None:
                self.bucket = None
                return
            self.bucket = {
                "maximum": float(maximum),
                "restore_rate": float(restore_rate),
                "available": float(maximum if available is None else available),
                "at": time.monotonic(),
            }

    def revoke_scope(self, scope: str) -> None:
        with self.lock:
            self.scopes.discard(scope)

    def rate_limit_next(self, *, retry_after: float = 2.0, times: int = 1) -> None:
        self.fail_next(
            429,
            times=times,
            body=RATE_LIMITED,
            headers={"Retry-After": f"{retry_after:g}"},
            path_contains="/graphql.json",
        )

    def delay_answer_next(self, seconds: float) -> None:
        """Carry out the next GraphQL call, then answer only after `seconds`: the client
        times out although the change was made (an unknown outcome). Other calls wait too,
        so whatever the client asks next sees the change."""
        with self.lock:
            self._answer_delays.append(seconds)

    def break_order(self, order_id: int | str) -> None:
        """Make an order's first line price unreadable ("NaN"), as a corrupt record would be."""
        with self.lock:
            order = self._materialise(int(order_id))
            order["line_items"][0]["price"] = Decimal("NaN")

    def delete_variant(self, sku: str) -> None:
        """Delete the variants with this SKU (their inventory items go with them)."""
        with self.lock:
            for item_id in self._items_by_sku.pop(sku, []):
                del self.items[item_id]

    def change_while_paging(self, after_page: int, action: Callable[[], None]) -> None:
        """Run action() once the orders query has served `after_page` pages (counted from
        now), before the next page is read: "a page that changes between reads"."""
        with self.lock:
            target = self._orders_pages_served + after_page
            self._paging_actions.setdefault(target, []).append(action)

    def add_location(self, name: str, *, active: bool = True) -> str:
        with self.lock:
            location_id = f"gid://shopify/Location/{487838322 + len(self.locations)}"
            self.locations[location_id] = {"name": name, "active": active}
            return location_id

    def add_variant(
        self,
        sku: str,
        *,
        tracked: bool = True,
        locations: Iterable[str] | None = None,
        available: int = 0,
    ) -> str:
        """A product variant with this SKU; returns its inventory item's gid. Shopify allows
        several variants with one SKU: calling this twice makes two."""
        with self.lock:
            self._next_item_id += 1
            item_id = f"gid://shopify/InventoryItem/{self._next_item_id}"
            self.items[item_id] = {
                "sku": sku,
                "tracked": tracked,
                "variant_id": f"gid://shopify/ProductVariant/{self._next_item_id}",
                "levels": {location: available for location in (locations or [PRIMARY_LOCATION])},
            }
            self._items_by_sku.setdefault(sku, []).append(item_id)
            return item_id

    def available(self, sku: str, location_id: str | None = None) -> int | None:
        """The available quantity of the (first) variant with this SKU at a location."""
        with self.lock:
            item_ids = self._items_by_sku.get(sku) or []
            if not item_ids:
                return None
            return self.items[item_ids[0]]["levels"].get(location_id or PRIMARY_LOCATION)

    def add_order(
        self,
        *,
        lines: Sequence[dict[str, Any]] | None = None,
        shipping_lines: Sequence[dict[str, Any]] | None = None,
        order_discount: str | Decimal | None = None,
        discount_code: str | None = None,
        tax_rate: str | Decimal | None = None,
        taxes_included: bool = False,
        financial_status: str = "PAID",
        email: str = "bob.norman@mail.example.com",
        phone: str | None = None,
        note: str | None = None,
        shipping_address: dict[str, Any] | None = None,
        billing_address: dict[str, Any] | None = None,
        created_at: datetime | str | None = None,
        updated_at: datetime | str | None = None,
        cancelled_at: datetime | str | None = None,
        name: str | None = None,
        order_id: int | None = None,
    ) -> dict[str, Any]:
        """Store an order the way Shopify computes it: discounts spread over lines (pre-tax),
        tax on the discounted price, one fulfillment order per location of its lines.

        A line: sku, quantity, price, title, variant_title, discount (the line's own, total),
        tax_rate or tax (total), current_quantity, requires_shipping, location_id.
        A shipping line: title, code, source, price, discount, tax_rate or tax.
        """
        with self.lock:
            if order_id is None:
                order_id = self._next_order_id
            if self._order(order_id) is not None:
                raise ValueError(f"The emulator already has an order {order_id}")
            self._next_order_id = max(self._next_order_id, order_id + 1)
            if name is None:
                name = f"#{self._next_number}"
                self._next_number += 1
            created = _time(created_at) or _now()
            order = self._build_order(
                order_id=order_id,
                name=name,
                lines=lines or [{"sku": "IPOD2008GREEN", "quantity": 1, "price": "199.00"}],
                shipping_lines=shipping_lines
                if shipping_lines is not None
                else [{"title": "Standard Shipping", "code": "Standard", "price": "10.00"}],
                order_discount=Decimal(str(order_discount)) if order_discount else None,
                discount_code=discount_code,
                tax_rate=Decimal(str(tax_rate)) if tax_rate is not None else None,
                taxes_included=taxes_included,
                financial_status=financial_status,
                email=email,
                phone=phone,
                note=note,
                shipping_address=shipping_address
                if shipping_address is not None
                else self._fixture()["shipping_address"],
                billing_address=billing_address
                if billing_address is not None
                else self._fixture()["billing_address"],
                created_at=created,
                updated_at=_time(updated_at) or created,
                cancelled_at=_time(cancelled_at),
            )
            for line in order["line_items"]:
                if line["sku"] and line["sku"] not in self._items_by_sku:
                    self.add_variant(line["sku"], locations=[line["location_id"]])
                line["inventory_item_id"] = (self._items_by_sku.get(line["sku"]) or [None])[0]
            self._store(order)
            return order

    def add_fixture_order(self, **overrides: Any) -> dict[str, Any]:
        """The order of shopify_python_api's order.json (lines, addresses, the TENOFF code,
        the 6 % state tax, free shipping), with amounts recomputed (data/shopify/SOURCES.md)."""
        fixture = self._fixture()
        arguments: dict[str, Any] = {
            "lines": [
                {
                    "sku": item["sku"],
                    "quantity": item["quantity"],
                    "price": item["price"],
                    "title": item["title"],
                    "variant_title": item["variant_title"],
                    "requires_shipping": item["requires_shipping"],
                }
                for item in fixture["line_items"]
            ],
            "shipping_lines": [
                {
                    "title": line["title"],
                    "code": line["code"],
                    "source": line["source"],
                    "price": line["price"],
                }
                for line in fixture["shipping_lines"]
            ],
            "order_discount": fixture["discount_codes"][0]["amount"],
            "discount_code": fixture["discount_codes"][0]["code"],
            "tax_rate": str(fixture["tax_lines"][0]["rate"]),
            "email": fixture["email"],
            "note": "Happy Birthday",
            "financial_status": "PAID",
            "order_id": fixture["id"] if fixture["id"] not in self._orders else None,
            "name": fixture["name"] if fixture["id"] not in self._orders else None,
        }
        arguments.update(overrides)
        return self.add_order(**arguments)

    def seed_orders(
        self,
        count: int,
        *,
        start: datetime | None = None,
        step: timedelta = timedelta(seconds=1),
        lines: int = 2,
    ) -> range:
        """count paid orders updated at start, start + step, ...; made up when read, so
        100,000 of them cost only their index entries."""
        with self.lock:
            first = max(FIRST_SEEDED_ORDER_ID, self._next_order_id)
            begin = (start or _now() - step * count).astimezone(UTC).replace(microsecond=0)
            self._seeded.append((first, count, begin, step, lines))
            self._index.extend((begin + step * n, first + n) for n in range(count))
            self._index.sort()
            self._next_order_id = first + count
            return range(first, first + count)

    def order(self, order_id: int | str) -> dict[str, Any]:
        with self.lock:
            order = self._order(int(order_id))
            if order is None:
                raise KeyError(f"No order {order_id} in the emulator")
            return order

    def update_order(self, order_id: int | str, **changes: Any) -> dict[str, Any]:
        """Change top-level fields of an order (e.g. financial_status, note, email) and bump
        its updatedAt, as any edit in Shopify does."""
        with self.lock:
            order = self._materialise(int(order_id))
            at = _time(changes.pop("updated_at", None))
            order.update(changes)
            self._touch(order, at=at)
            return order

    def cancel_order(self, order_id: int | str, *, reason: str = "CUSTOMER") -> dict[str, Any]:
        with self.lock:
            order = self._materialise(int(order_id))
            order["cancelled_at"] = _now()
            order["cancel_reason"] = reason
            for fulfillment_order in order["fulfillment_orders"]:
                if fulfillment_order["status"] != "CLOSED":
                    fulfillment_order["status"] = "CLOSED"
            self._touch(order)
            return order

    def hold_fulfillment_orders(self, order_id: int | str) -> None:
        with self.lock:
            order = self._materialise(int(order_id))
            for fulfillment_order in order["fulfillment_orders"]:
                if fulfillment_order["status"] in ("OPEN", "IN_PROGRESS"):
                    fulfillment_order["status"] = "ON_HOLD"
            self._touch(order)

    def order_totals(self, order_id: int | str) -> dict[str, Decimal]:
        """What Shopify shows as the order's current subtotal, shipping, tax and total."""
        with self.lock:
            return self._totals(self.order(order_id))

    def graphql_calls(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(version, query, variables) of every GraphQL POST received, in order."""
        calls = []
        for request in self.requests_to("POST", r"/graphql\.json$"):
            match = re.search(r"/admin/api/([^/]+)/graphql\.json$", request.path)
            try:
                body = request.json()
            except ValueError:
                continue
            if isinstance(body, dict) and match:
                calls.append((match.group(1), body.get("query", ""), body.get("variables") or {}))
        return calls

    # webhooks --------------------------------------------------------------------------

    def webhook_delivery(
        self,
        topic: str,
        order_id: int | str,
        *,
        secret: str | None = None,
        webhook_id: str | None = None,
        api_version: str = "2026-10",
    ) -> tuple[dict[str, str], bytes]:
        """The headers and raw body Shopify would POST for this topic and order."""
        with self.lock:
            body = json.dumps(self._rest_order(self.order(order_id))).encode()
        digest = hmac.new(
            (secret if secret is not None else self.webhook_secret).encode(),
            body,
            hashlib.sha256,
        ).digest()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-API-Version": api_version,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
        }
        return headers, body

    def send_webhook(
        self, url: str, topic: str, order_id: int | str, **options: Any
    ) -> requests.Response:
        """POST a signed delivery to url, as Shopify does (short timeout, no retry here)."""
        headers, body = self.webhook_delivery(topic, order_id, **options)
        return requests.post(url, data=body, headers=headers, timeout=5)

    # the endpoint ----------------------------------------------------------------------

    @route("POST", r"/admin/api/(?P<version>[^/]+)/graphql\.json")
    def graphql(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        body = request.json()
        version = request.params["version"]
        form = schema_form(version)
        ast, errors = self._document(body["query"], form)
        if errors:
            return Response(200, {"errors": errors})
        assert ast is not None
        variables = body.get("variables") or {}
        operation = body.get("operationName")
        schema = admin_schema(form)
        requested = query_cost(schema, ast, variables, operation)
        if requested > self.max_query_cost:
            return Response(200, self._too_costly(requested))
        if not self._take_from_bucket(requested):
            return Response(200, self._throttled(requested))
        context = {"version": version, "form": form, "pages": 0}
        data, errors = self._execute(schema, ast, variables, operation, context)
        return Response(200, self._answered(data, errors, requested=requested, context=context))

    def _refused(self, request: Request) -> Response | None:
        """What Shopify answers a call that never reaches GraphQL: no shop at the address, a
        wrong token, an unknown API version, a body without a query."""
        if not self.shop_exists:
            return Response(404, UNKNOWN_SHOP_PAGE, {"Content-Type": "text/html; charset=utf-8"})
        if request.header("x-shopify-access-token") != self.access_token:
            return Response(401, INVALID_TOKEN)
        if not VERSION.match(request.params["version"]):
            return Response(404, {"errors": "Not Found"})
        try:
            body = request.json()
        except ValueError:
            return Response(400, QUERY_MISSING)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return Response(400, QUERY_MISSING)
        return None

    def _throttled(self, requested: int) -> dict[str, Any]:
        return {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": {"cost": self._cost_extension(requested, None)},
        }

    def _answered(
        self,
        data: dict[str, Any] | None,
        errors: list[dict[str, Any]],
        *,
        requested: int,
        context: dict[str, Any],
    ) -> dict[str, Any]:
        """The answer to a call that ran: its cost charged, paging actions and delays done."""
        actual = min(requested, _objects_in(data)) if data else 0
        self._refund(requested - actual)
        payload: dict[str, Any] = {}
        if errors:
            payload["errors"] = errors
        payload["data"] = data
        payload["extensions"] = {"cost": self._cost_extension(requested, actual)}
        for _ in range(context["pages"]):
            self._after_orders_page()
        if self._answer_delays:
            # Still holding the lock (handlers run under it): later calls see the change.
            time.sleep(self._answer_delays.pop(0))
        return payload

    def _execute(
        self,
        schema: GraphQLSchema,
        ast: DocumentNode,
        variables: dict[str, Any],
        operation: str | None,
        context: dict[str, Any],
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        if not self.reference_executor:
            return run_document(
                schema,
                ast,
                root=self._root(),
                variables=variables,
                operation_name=operation,
                context=context,
            )
        result = execute(
            schema,
            ast,
            root_value=self._root(),
            context_value=context,
            variable_values=variables,
            operation_name=operation,
        )
        return result.data, [self._formatted(error) for error in result.errors or ()]

    def _document(self, query: str, form: str) -> tuple[DocumentNode | None, list[dict]]:
        key = (form, query)
        if key not in self._documents:
            if len(self._documents) > 500:
                self._documents.clear()
            self._documents[key] = validation_errors(query, form)
        return self._documents[key]

    @staticmethod
    def _formatted(error: GraphQLError) -> dict[str, Any]:
        formatted = dict(error.formatted)
        if "extensions" not in formatted or "code" not in (formatted.get("extensions") or {}):
            # Errors from coercing $variables: Shopify calls these INVALID_VARIABLE.
            formatted["extensions"] = {**(formatted.get("extensions") or {})}
            formatted["extensions"].setdefault(
                "code", "INVALID_VARIABLE" if "Variable" in error.message else "INTERNAL"
            )
        return formatted

    def _too_costly(self, requested: int) -> dict[str, Any]:
        return {
            "errors": [
                {
                    "message": f"Query cost is {requested}, which exceeds the single query "
                    f"max cost limit ({self.max_query_cost}).\n\nSee https://shopify.dev/"
                    "concepts/about-apis/rate-limits for more information on how the\ncost "
                    "of a query is calculated.\n\nTo query larger amounts of data with fewer "
                    "limits, bulk operations should be used instead.\nSee https://shopify.dev/"
                    "tutorials/perform-bulk-operations-with-admin-api for usage details.\n",
                    "extensions": {
                        "code": "MAX_COST_EXCEEDED",
                        "cost": requested,
                        "maxCost": self.max_query_cost,
                    },
                }
            ]
        }

    def _take_from_bucket(self, cost: int) -> bool:
        if self.bucket is None:
            return True
        now = time.monotonic()
        bucket = self.bucket
        bucket["available"] = min(
            bucket["maximum"], bucket["available"] + (now - bucket["at"]) * bucket["restore_rate"]
        )
        bucket["at"] = now
        if cost > bucket["available"]:
            return False
        bucket["available"] -= cost
        return True

    def _refund(self, points: float) -> None:
        if self.bucket is not None and points > 0:
            self.bucket["available"] = min(
                self.bucket["maximum"], self.bucket["available"] + points
            )

    def _cost_extension(self, requested: int, actual: int | None) -> dict[str, Any]:
        bucket = self.bucket or {"maximum": 1e9, "available": 1e9, "restore_rate": 1e9}
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": bucket["maximum"],
                "currentlyAvailable": int(bucket["available"]),
                "restoreRate": bucket["restore_rate"],
            },
        }

    def _after_orders_page(self) -> None:
        self._orders_pages_served += 1
        for action in self._paging_actions.pop(self._orders_pages_served, []):
            action()

    # access scopes ---------------------------------------------------------------------

    def _has_any(self, scopes: Iterable[str]) -> bool:
        return any(
            scope in self.scopes or scope.replace("read_", "write_", 1) in self.scopes
            for scope in scopes
        )

    def _require(self, info: GraphQLResolveInfo, *scopes: str) -> None:
        if self._has_any(scopes):
            return
        required = " OR ".join(f"`{scope}` access scope" for scope in scopes) + "."
        raise GraphQLError(
            f"Access denied for {info.field_name} field. Required access: {required}",
            extensions={
                "code": "ACCESS_DENIED",
                "documentation": "https://shopify.dev/api/usage/access-scopes",
                "requiredAccess": required,
            },
        )

    # resolvers -------------------------------------------------------------------------

    def _root(self) -> dict[str, Any]:
        return {
            "shop": lambda info: {
                "id": "gid://shopify/Shop/548380009",
                "name": self.shop_name,
                "myshopifyDomain": self.shop_domain,
                "currencyCode": self.currency,
                "ianaTimezone": "America/New_York",
            },
            "currentAppInstallation": lambda info: {
                "id": "gid://shopify/AppInstallation/1",
                "accessScopes": [
                    {"handle": scope, "description": scope} for scope in sorted(self.scopes)
                ],
            },
            "orders": self._resolve_orders,
            "order": self._resolve_order,
            "location": self._resolve_location,
            "productVariants": self._resolve_variants,
            "fulfillmentOrder": self._resolve_fulfillment_order,
            "fulfillmentCreate": self._fulfillment_create,
            "inventorySetQuantities": self._inventory_set_quantities,
        }

    def _resolve_orders(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        sortKey: str | None = None,
        reverse: bool | None = None,
        **unsupported: Any,
    ) -> dict[str, Any]:
        self._require(info, "read_orders")
        if sortKey not in (None, "UPDATED_AT") or reverse or unsupported.get("last"):
            raise GraphQLError("The emulator pages orders forward by UPDATED_AT only.")
        if first is None or not 0 < first <= 250:
            raise GraphQLError(
                "you must provide one of first or last"
                if first is None
                else "The first argument must be between 1 and 250.",
                extensions={"code": "BAD_REQUEST"},
            )
        lower, checks = _order_filters(query or "")
        position = bisect.bisect_left(self._index, lower)
        if after:
            stamp, order_id = json.loads(base64.b64decode(after))
            position = max(
                position,
                bisect.bisect_right(self._index, (datetime.fromisoformat(stamp), order_id)),
            )
        chosen, has_next = self._orders_from(position, checks, first)
        info.context["pages"] += 1
        return self._orders_connection(chosen, has_next=has_next, after=after)

    def _orders_from(
        self, position: int, checks: list[Callable[[dict[str, Any]], bool]], first: int
    ) -> tuple[list[tuple[tuple[datetime, int], dict[str, Any]]], bool]:
        """Up to `first` orders that pass the checks, from a position in the index on; and
        whether more follow."""
        chosen: list[tuple[tuple[datetime, int], dict[str, Any]]] = []
        while position < len(self._index):
            key = self._index[position]
            position += 1
            order = self._order(key[1])
            if order is None or not all(check(order) for check in checks):
                continue
            if len(chosen) == first:
                return chosen, True
            chosen.append((key, order))
        return chosen, False

    def _orders_connection(
        self,
        chosen: list[tuple[tuple[datetime, int], dict[str, Any]]],
        *,
        has_next: bool,
        after: str | None,
    ) -> dict[str, Any]:
        nodes = [self._order_node(order) for _, order in chosen]
        cursors = [
            base64.b64encode(json.dumps([_iso(key[0]), key[1]]).encode()).decode()
            for key, _ in chosen
        ]
        return {
            "nodes": nodes,
            "edges": [{"node": n, "cursor": c} for n, c in zip(nodes, cursors, strict=True)],
            "pageInfo": {
                "hasNextPage": has_next,
                "hasPreviousPage": bool(after),
                "startCursor": cursors[0] if cursors else None,
                "endCursor": cursors[-1] if cursors else None,
            },
        }

    def _resolve_order(self, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
        self._require(info, "read_orders")
        order = self._order(_legacy(id)) if id.startswith("gid://shopify/Order/") else None
        return self._order_node(order) if order else None

    def _resolve_location(
        self,
        info: GraphQLResolveInfo,
        id: str | None = None,
    ) -> dict[str, Any] | None:
        self._require(info, "read_locations")
        location_id = id or PRIMARY_LOCATION
        location = self.locations.get(location_id)
        return self._location_node(location_id) if location else None

    def _location_node(self, location_id: str) -> dict[str, Any]:
        location = self.locations[location_id]
        return {
            "__typename": "Location",
            "id": location_id,
            "legacyResourceId": str(_legacy(location_id)),
            "name": location["name"],
            "isActive": location["active"],
        }

    def _resolve_variants(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._require(info, "read_products")
        wanted = [value for field, _op, value in _search_terms(query or "") if field == "sku"]
        # Shopify's SKU search is loose (a term also finds longer SKUs that start with it);
        # the connector has to keep exact matches itself.
        item_ids = [
            item_id
            for item_id, item in self.items.items()
            if not wanted or any(item["sku"].lower().startswith(w.lower()) for w in wanted)
        ]
        return _connection(item_ids, first=first, after=after, node=self._variant_node)

    def _variant_node(self, item_id: str) -> dict[str, Any]:
        item = self.items[item_id]
        return {
            "id": item["variant_id"],
            "legacyResourceId": str(_legacy(item["variant_id"])),
            "sku": item["sku"],
            "inventoryItem": {
                "id": item_id,
                "legacyResourceId": str(_legacy(item_id)),
                "sku": item["sku"],
                "tracked": item["tracked"],
            },
        }

    def _resolve_fulfillment_order(
        self,
        info: GraphQLResolveInfo,
        id: str,
    ) -> dict[str, Any] | None:
        self._require(info, *FULFILLMENT_READ_SCOPES)
        found = self._find_fulfillment_order(id)
        return self._fulfillment_order_node(*found) if found else None

    # views of an order -------------------------------------------------------------------

    def _order_node(self, order: dict[str, Any]) -> dict[str, Any]:
        currency = order["currency"]
        lines = order["line_items"]
        computed: dict[str, dict[str, Decimal]] = {}

        def total(name: str) -> Callable[..., dict[str, Any]]:
            # Computed on demand: most queries do not ask for totals, and paging 100,000
            # seeded orders should not pay for them.
            def resolve(info: GraphQLResolveInfo, **_: Any) -> dict[str, Any]:
                if "totals" not in computed:
                    computed["totals"] = self._totals(order)
                return _bag(computed["totals"][name], currency)

            return resolve

        def fulfillment_orders(info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
            # Without a fulfillment-order scope Shopify answers an empty list, not an error.
            visible = order["fulfillment_orders"] if self._has_any(FULFILLMENT_READ_SCOPES) else []
            return _connection(
                visible,
                first=args.get("first"),
                after=args.get("after"),
                node=lambda fo: self._fulfillment_order_node(order, fo),
            )

        return {
            "__typename": "Order",
            "id": f"gid://shopify/Order/{order['id']}",
            "legacyResourceId": str(order["id"]),
            "name": order["name"],
            "createdAt": _iso(order["created_at"]),
            "processedAt": _iso(order["created_at"]),
            "updatedAt": _iso(order["updated_at"]),
            "cancelledAt": _iso(order["cancelled_at"]),
            "cancelReason": order.get("cancel_reason") if order["cancelled_at"] else None,
            "closed": False,
            "displayFinancialStatus": order["financial_status"],
            "displayFulfillmentStatus": self._fulfillment_status(order),
            "currencyCode": currency,
            "presentmentCurrencyCode": currency,
            "taxesIncluded": order["taxes_included"],
            "email": order["email"],
            "phone": order["phone"],
            "note": order["note"],
            "test": False,
            "discountCodes": [order["discount_code"]] if order.get("discount_code") else [],
            "discountCode": order.get("discount_code"),
            "requiresShipping": any(line["requires_shipping"] for line in lines),
            "shippingAddress": self._address_node(order["shipping_address"]),
            "billingAddress": self._address_node(order["billing_address"]),
            "currentSubtotalPriceSet": total("subtotal"),
            "subtotalPriceSet": total("subtotal"),
            "currentShippingPriceSet": total("shipping"),
            "currentTotalTaxSet": total("tax"),
            "totalTaxSet": total("tax"),
            "currentTotalPriceSet": total("total"),
            "totalPriceSet": total("total"),
            "currentTotalDiscountsSet": total("discounts"),
            "totalDiscountsSet": total("discounts"),
            "shippingLines": lambda info, **args: _connection(
                order["shipping_lines"],
                first=args.get("first"),
                after=args.get("after"),
                node=lambda line: self._shipping_line_node(line, currency),
            ),
            "shippingLine": self._shipping_line_node(order["shipping_lines"][0], currency)
            if order["shipping_lines"]
            else None,
            "lineItems": lambda info, **args: _connection(
                lines,
                first=args.get("first"),
                after=args.get("after"),
                node=lambda line: self._line_node(line, currency),
            ),
            "fulfillmentOrders": fulfillment_orders,
            "fulfillments": lambda info, first=None: [
                self._fulfillment_node(fulfillment)
                for fulfillment in order["fulfillments"][: first or None]
            ],
        }

    @staticmethod
    def _address_node(address: dict[str, Any] | None) -> dict[str, Any] | None:
        if not address:
            return None
        return {
            "id": "gid://shopify/MailingAddress/1",
            "firstName": address.get("first_name"),
            "lastName": address.get("last_name"),
            "name": address.get("name"),
            "company": address.get("company"),
            "address1": address.get("address1"),
            "address2": address.get("address2"),
            "city": address.get("city"),
            "province": address.get("province"),
            "provinceCode": address.get("province_code"),
            "zip": address.get("zip"),
            "country": address.get("country"),
            "countryCodeV2": address.get("country_code"),
            "phone": address.get("phone"),
        }

    @staticmethod
    def _tax_nodes(taxes: Sequence[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
        return [
            {
                "title": tax["title"],
                "rate": float(tax["rate"]) if tax.get("rate") is not None else None,
                "ratePercentage": float(tax["rate"]) * 100 if tax.get("rate") else None,
                "priceSet": _bag(tax["price"], currency),
            }
            for tax in taxes
        ]

    def _line_node(self, line: dict[str, Any], currency: str) -> dict[str, Any]:
        return {
            "id": f"gid://shopify/LineItem/{line['id']}",
            "sku": line["sku"],
            "name": line["name"],
            "title": line["title"],
            "variantTitle": line["variant_title"],
            "quantity": line["quantity"],
            "currentQuantity": line["current_quantity"],
            "requiresShipping": line["requires_shipping"],
            "originalUnitPriceSet": _bag(line["price"], currency),
            "originalTotalSet": _bag(line["price"] * line["quantity"], currency),
            "discountAllocations": [
                {
                    "allocatedAmountSet": _bag(allocation["amount"], currency),
                    "discountApplication": {
                        "__typename": "DiscountCodeApplication"
                        if allocation.get("code")
                        else "ManualDiscountApplication",
                        "allocationMethod": allocation["method"],
                        "targetSelection": allocation["selection"],
                        "targetType": "LINE_ITEM",
                        "code": allocation.get("code"),
                        "title": allocation.get("code") or "Discount",
                        "index": 0,
                    },
                }
                for allocation in line["discounts"]
            ],
            "taxLines": lambda info, first=None: self._tax_nodes(
                line["taxes"][: first or None], currency
            ),
            "variant": {"id": self.items[line["inventory_item_id"]]["variant_id"]}
            if line.get("inventory_item_id")
            else None,
        }

    def _shipping_line_node(self, line: dict[str, Any], currency: str) -> dict[str, Any]:
        discounted = line["price"] - line["discount"]
        return {
            "id": f"gid://shopify/ShippingLine/{line['id']}",
            "title": line["title"],
            "code": line["code"],
            "source": line["source"],
            "custom": False,
            "isRemoved": False,
            "originalPriceSet": _bag(line["price"], currency),
            "discountedPriceSet": _bag(discounted, currency),
            "currentDiscountedPriceSet": _bag(discounted, currency),
            "taxLines": self._tax_nodes(line["taxes"], currency),
            "discountAllocations": [],
        }

    def _fulfillment_order_node(
        self, order: dict[str, Any], fulfillment_order: dict[str, Any]
    ) -> dict[str, Any]:
        lines = {line["id"]: line for line in order["line_items"]}
        location_id = fulfillment_order["location_id"]
        return {
            "id": f"gid://shopify/FulfillmentOrder/{fulfillment_order['id']}",
            "status": fulfillment_order["status"],
            "requestStatus": "UNSUBMITTED",
            "orderId": f"gid://shopify/Order/{order['id']}",
            "orderName": order["name"],
            "createdAt": _iso(order["created_at"]),
            "updatedAt": _iso(order["updated_at"]),
            "assignedLocation": {
                "name": self.locations[location_id]["name"],
                "countryCode": "US",
                "location": self._location_node(location_id),
            },
            "lineItems": lambda info, **args: _connection(
                fulfillment_order["line_items"],
                first=args.get("first"),
                after=args.get("after"),
                node=lambda fo_line: {
                    "id": f"gid://shopify/FulfillmentOrderLineItem/{fo_line['id']}",
                    "remainingQuantity": fo_line["remaining"],
                    "totalQuantity": fo_line["total"],
                    "sku": lines[fo_line["line_item_id"]]["sku"],
                    "inventoryItemId": lines[fo_line["line_item_id"]].get("inventory_item_id"),
                    "requiresShipping": lines[fo_line["line_item_id"]]["requires_shipping"],
                    "lineItem": self._line_node(lines[fo_line["line_item_id"]], order["currency"]),
                },
            ),
            "fulfillments": lambda info, **args: _connection(
                [f for f in order["fulfillments"] if fulfillment_order["id"] in f["fo_ids"]],
                first=args.get("first"),
                after=args.get("after"),
                node=self._fulfillment_node,
            ),
        }

    @staticmethod
    def _fulfillment_node(fulfillment: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": fulfillment["id"],
            "legacyResourceId": str(_legacy(fulfillment["id"])),
            "name": fulfillment["name"],
            "status": fulfillment["status"],
            "createdAt": _iso(fulfillment["created_at"]),
            "updatedAt": _iso(fulfillment["created_at"]),
            "totalQuantity": sum(quantity for _, quantity in fulfillment["lines"]),
            "trackingInfo": lambda info, first=None: [
                dict(tracking) for tracking in fulfillment["tracking"][: first or None]
            ],
        }

    # mutations -------------------------------------------------------------------------

    def _fulfillment_create(
        self, info: GraphQLResolveInfo, fulfillment: dict[str, Any], message: str | None = None
    ) -> dict[str, Any]:
        self._require(info, *FULFILLMENT_WRITE_SCOPES)
        try:
            plans = self._fulfillment_plans(fulfillment.get("lineItemsByFulfillmentOrder") or [])
        except _Refused as refused:
            field = ["fulfillment", "lineItemsByFulfillmentOrder", *refused.path]
            return {"fulfillment": None, "userErrors": [{"field": field, "message": refused.text}]}
        record = self._fulfil(plans, fulfillment)
        return {"fulfillment": self._fulfillment_node(record), "userErrors": []}

    def _fulfillment_plans(self, groups: list[dict[str, Any]]) -> list[_Plan]:
        """What each group of lineItemsByFulfillmentOrder takes, as Shopify checks it."""
        if not groups:
            raise _Refused("Line items by fulfillment order must contain at least one item.")
        plans = [self._fulfillment_plan(index, group) for index, group in enumerate(groups)]
        if len({order["id"] for order, _, _ in plans}) > 1:
            raise _Refused("All fulfillment orders must belong to the same order.")
        if len({fo["location_id"] for _, fo, _ in plans}) > 1:
            raise _Refused("All fulfillment orders must be assigned to the same location.")
        return plans

    def _fulfillment_plan(self, index: int, group: dict[str, Any]) -> _Plan:
        found = self._find_fulfillment_order(group["fulfillmentOrderId"])
        if found is None:
            raise _Refused("Fulfillment order does not exist.", index, "fulfillmentOrderId")
        order, fulfillment_order = found
        if fulfillment_order["status"] not in ("OPEN", "IN_PROGRESS"):
            raise _Refused(
                f"Fulfillment order {fulfillment_order['id']} has an unfulfillable "
                f"status= {fulfillment_order['status'].lower()}.",
                index,
                "fulfillmentOrderId",
            )
        picks = _picks(index, fulfillment_order, group.get("fulfillmentOrderLineItems"))
        if not picks:
            raise _Refused("Fulfillment order has no remaining line items.", index)
        return order, fulfillment_order, picks

    def _fulfil(self, plans: list[_Plan], fulfillment: dict[str, Any]) -> dict[str, Any]:
        """Record the fulfillment and take its quantities off the fulfillment orders."""
        order = self._materialise(plans[0][0]["id"])
        self._next_fulfillment_id += 1
        record: dict[str, Any] = {
            "id": f"gid://shopify/Fulfillment/{self._next_fulfillment_id}",
            "name": f"{order['name']}-F{len(order['fulfillments']) + 1}",
            "order_id": order["id"],
            "status": "SUCCESS",
            "created_at": _now(),
            "tracking": _tracking(fulfillment.get("trackingInfo") or {}),
            "notify_customer": bool(fulfillment.get("notifyCustomer")),
            "fo_ids": [],
            "fulfillment_order_ids": [],
            "lines": [],
        }
        # The order may have been materialised just now: act on its stored copy.
        stored_fos = {fo["id"]: fo for fo in order["fulfillment_orders"]}
        for _, fulfillment_order, picks in plans:
            stored = stored_fos[fulfillment_order["id"]]
            stored_lines = {line["id"]: line for line in stored["line_items"]}
            for line, quantity in picks:
                stored_lines[line["id"]]["remaining"] -= quantity
                record["lines"].append(
                    (f"gid://shopify/FulfillmentOrderLineItem/{line['id']}", quantity)
                )
            stored["status"] = (
                "CLOSED"
                if not any(line["remaining"] for line in stored["line_items"])
                else "IN_PROGRESS"
            )
            record["fo_ids"].append(stored["id"])
            record["fulfillment_order_ids"].append(f"gid://shopify/FulfillmentOrder/{stored['id']}")
        order["fulfillments"].append(record)
        self.fulfillments.append(record)
        self._touch(order)
        return record

    def _inventory_set_quantities(
        self,
        info: GraphQLResolveInfo,
        input: dict[str, Any],
    ) -> dict[str, Any]:
        self._require(info, "write_inventory")
        form = info.context["form"]
        key = self._idempotency_key(info) if form == IDEMPOTENT_FORM else None
        if key is not None and key in self._idempotency:
            return self._idempotency[key]
        errors = _set_input_errors(input) or self._quantity_errors(input, form)
        if errors:
            # All or nothing, as in Shopify: one refused quantity and none is set.
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        result = self._set_quantities(input, version=info.context["version"], key=key)
        if key is not None:
            self._idempotency[key] = result
        return result

    @staticmethod
    def _idempotency_key(info: GraphQLResolveInfo) -> Any:
        """The key of the @idempotent directive, which 2026-04 and later require."""
        directive = next(
            (d for d in info.field_nodes[0].directives or () if d.name.value == "idempotent"),
            None,
        )
        if directive is None:
            raise GraphQLError(
                "The @idempotent directive is required for this mutation.",
                extensions={"code": "BAD_REQUEST"},
            )
        variables = getattr(info.variable_values, "coerced", info.variable_values)
        return value_from_ast_untyped(directive.arguments[0].value, variables)

    def _quantity_errors(self, input: dict[str, Any], form: str) -> list[dict[str, Any]]:
        errors = []
        seen = set()
        for index, quantity in enumerate(input["quantities"]):
            path = ["input", "quantities", str(index)]
            pair = (quantity["inventoryItemId"], quantity["locationId"])
            if pair in seen:
                errors.append(
                    _user_error(
                        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                        [*path, "inventoryItemId"],
                        "The combination of inventoryItemId and locationId must be unique.",
                    )
                )
            seen.add(pair)
            error = self._quantity_error(quantity, path, form=form, input=input)
            if error is not None:
                errors.append(error)
        return errors

    def _quantity_error(
        self, quantity: dict[str, Any], path: list[str], *, form: str, input: dict[str, Any]
    ) -> dict[str, Any] | None:
        item = self.items.get(quantity["inventoryItemId"])
        if item is None:
            return _user_error(
                "INVALID_INVENTORY_ITEM",
                [*path, "inventoryItemId"],
                "The specified inventory item could not be found.",
            )
        if quantity["locationId"] not in self.locations:
            return _user_error(
                "INVALID_LOCATION",
                [*path, "locationId"],
                "The specified location could not be found.",
            )
        if quantity["locationId"] not in item["levels"]:
            return _user_error(
                "ITEM_NOT_STOCKED_AT_LOCATION",
                [*path, "locationId"],
                "The specified inventory item is not stocked at the location.",
            )
        current = item["levels"][quantity["locationId"]]
        if form == IDEMPOTENT_FORM:
            return _change_from_error(quantity, current, path)
        if not input.get("ignoreCompareQuantity"):
            return _compare_error(quantity, current, path)
        return None

    def _set_quantities(self, input: dict[str, Any], *, version: str, key: Any) -> dict[str, Any]:
        changes = []
        for quantity in input["quantities"]:
            levels = self.items[quantity["inventoryItemId"]]["levels"]
            delta = quantity["quantity"] - levels[quantity["locationId"]]
            levels[quantity["locationId"]] = quantity["quantity"]
            changes.append(
                {
                    "name": input["name"],
                    "delta": delta,
                    "quantityAfterChange": quantity["quantity"],
                }
            )
        self.inventory_sets.append(
            {"version": version, "input": copy.deepcopy(input), "idempotency_key": key}
        )
        return {
            "inventoryAdjustmentGroup": {
                "createdAt": _iso(_now()),
                "reason": "Inventory correction",
                "referenceDocumentUri": input.get("referenceDocumentUri"),
                "changes": changes,
            },
            "userErrors": [],
        }

    # the store ---------------------------------------------------------------------------

    def _fixture(self) -> dict[str, Any]:
        if not hasattr(self, "_fixture_order"):
            self._fixture_order = json.loads(FIXTURE_ORDER.read_text())["order"]
        return self._fixture_order

    def _build_order(
        self,
        *,
        order_id: int,
        name: str,
        lines: Sequence[dict[str, Any]],
        shipping_lines: Sequence[dict[str, Any]],
        order_discount: Decimal | None,
        discount_code: str | None,
        tax_rate: Decimal | None,
        taxes_included: bool,
        financial_status: str,
        email: str | None,
        phone: str | None,
        note: str | None,
        shipping_address: dict[str, Any] | None,
        billing_address: dict[str, Any] | None,
        created_at: datetime,
        updated_at: datetime,
        cancelled_at: datetime | None,
    ) -> dict[str, Any]:
        line_items = [
            _line_item(order_id, number, spec, tax_rate=tax_rate)
            for number, spec in enumerate(lines, start=1)
        ]
        if order_discount:
            _spread_discount(line_items, order_discount, discount_code)
        for line in line_items:
            self._add_line_tax(line, taxes_included=taxes_included)
        shipping = [
            self._shipping_line(order_id, number, spec, taxes_included=taxes_included)
            for number, spec in enumerate(shipping_lines, start=1)
        ]
        fulfillment_orders = _fulfillment_orders(order_id, line_items, cancelled=bool(cancelled_at))
        return {
            "id": order_id,
            "name": name,
            "email": email,
            "phone": phone,
            "note": note,
            "currency": self.currency,
            "taxes_included": taxes_included,
            "financial_status": financial_status,
            "discount_code": discount_code,
            "created_at": created_at,
            "updated_at": updated_at,
            "cancelled_at": cancelled_at,
            "cancel_reason": "CUSTOMER" if cancelled_at else None,
            "shipping_address": copy.deepcopy(shipping_address),
            "billing_address": copy.deepcopy(billing_address),
            "line_items": line_items,
            "shipping_lines": shipping,
            "fulfillment_orders": fulfillment_orders,
            "fulfillments": [],
        }

    def _add_line_tax(self, line: dict[str, Any], *, taxes_included: bool) -> None:
        """The line's tax (given, or from its rate on the discounted amount), in place."""
        base = line["price"] * line["quantity"] - sum(d["amount"] for d in line["discounts"])
        tax, rate = line.pop("_tax"), line.pop("_tax_rate")
        if tax is not None:
            line["taxes"].append({"title": "Tax", "rate": None, "price": Decimal(str(tax))})
        elif rate is not None:
            line["taxes"].append(
                {
                    "title": "State Tax",
                    "rate": Decimal(str(rate)),
                    "price": self._tax(base, Decimal(str(rate)), taxes_included),
                }
            )

    def _shipping_line(
        self, order_id: int, number: int, spec: dict[str, Any], *, taxes_included: bool
    ) -> dict[str, Any]:
        price = Decimal(str(spec.get("price", "0.00")))
        discount = Decimal(str(spec.get("discount", "0")))
        taxes = []
        if spec.get("tax") is not None:
            taxes.append({"title": "Tax", "rate": None, "price": Decimal(str(spec["tax"]))})
        elif spec.get("tax_rate") is not None:
            rate = Decimal(str(spec["tax_rate"]))
            taxes.append(
                {
                    "title": "Shipping Tax",
                    "rate": rate,
                    "price": self._tax(price - discount, rate, taxes_included),
                }
            )
        return {
            "id": order_id * 10 + number,
            "title": spec.get("title", "Standard"),
            "code": spec.get("code", spec.get("title", "Standard")),
            "source": spec.get("source", "shopify"),
            "price": price,
            "discount": discount,
            "taxes": taxes,
        }

    @staticmethod
    def _tax(base: Decimal, rate: Decimal, included: bool) -> Decimal:
        return _cents(base - base / (1 + rate) if included else base * rate)

    def _totals(self, order: dict[str, Any]) -> dict[str, Decimal]:
        subtotal = tax = discounts = Decimal(0)
        for line in order["line_items"]:
            share = Decimal(line["current_quantity"]) / Decimal(line["quantity"])
            line_discount = sum((d["amount"] for d in line["discounts"]), Decimal(0))
            subtotal += line["price"] * line["current_quantity"] - line_discount * share
            tax += sum((t["price"] for t in line["taxes"]), Decimal(0)) * share
            discounts += line_discount * share
        shipping = Decimal(0)
        for line in order["shipping_lines"]:
            shipping += line["price"] - line["discount"]
            tax += sum((t["price"] for t in line["taxes"]), Decimal(0))
        subtotal, tax, shipping = _cents(subtotal), _cents(tax), _cents(shipping)
        total = subtotal + shipping + (Decimal(0) if order["taxes_included"] else tax)
        return {
            "subtotal": subtotal,
            "shipping": shipping,
            "tax": tax,
            "discounts": _cents(discounts),
            "total": total,
        }

    @staticmethod
    def _fulfillment_status(order: dict[str, Any]) -> str:
        fo_lines = [line for fo in order["fulfillment_orders"] for line in fo["line_items"]]
        shipped = sum(line["total"] - line["remaining"] for line in fo_lines)
        if fo_lines and shipped >= sum(line["total"] for line in fo_lines):
            return "FULFILLED"
        if any(fo["status"] == "ON_HOLD" for fo in order["fulfillment_orders"]):
            return "ON_HOLD"
        return "PARTIALLY_FULFILLED" if shipped else "UNFULFILLED"

    def _store(self, order: dict[str, Any]) -> None:
        existing = self._order(order["id"])
        if existing is not None:
            self._unindex(existing)
        self._orders[order["id"]] = order
        bisect.insort(self._index, (order["updated_at"], order["id"]))

    def _unindex(self, order: dict[str, Any]) -> None:
        key = (order["updated_at"], order["id"])
        position = bisect.bisect_left(self._index, key)
        if position < len(self._index) and self._index[position] == key:
            del self._index[position]

    def _touch(self, order: dict[str, Any], *, at: datetime | None = None) -> None:
        self._unindex(order)
        order["updated_at"] = at or max(_now(), order["updated_at"])
        bisect.insort(self._index, (order["updated_at"], order["id"]))

    def _order(self, order_id: int) -> dict[str, Any] | None:
        order = self._orders.get(order_id)
        if order is not None:
            return order
        for first, count, start, step, lines in self._seeded:
            if first <= order_id < first + count:
                return self._seeded_order(order_id, start + step * (order_id - first), lines)
        return None

    def _materialise(self, order_id: int) -> dict[str, Any]:
        order = self._order(order_id)
        if order is None:
            raise KeyError(f"No order {order_id} in the emulator")
        self._orders[order_id] = order
        return order

    def _seeded_order(self, order_id: int, at: datetime, lines: int) -> dict[str, Any]:
        number = order_id - FIRST_SEEDED_ORDER_ID
        return self._build_order(
            order_id=order_id,
            name=f"#S{number}",
            lines=[
                {
                    "sku": f"SKU-{(number + n) % 500:03d}",
                    "quantity": 1 + (number + n) % 3,
                    "price": f"{5 + (number * 7 + n) % 90}.99",
                    "tax_rate": "0.07",
                }
                for n in range(lines)
            ],
            shipping_lines=[{"title": "Standard Shipping", "code": "Standard", "price": "6.50"}],
            order_discount=None,
            discount_code=None,
            tax_rate=None,
            taxes_included=False,
            financial_status="PAID",
            email=f"customer{number}@example.com",
            phone=None,
            note=None,
            shipping_address=self._fixture()["shipping_address"],
            billing_address=self._fixture()["billing_address"],
            created_at=at,
            updated_at=at,
            cancelled_at=None,
        )

    def _find_fulfillment_order(
        self, global_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        if not str(global_id).startswith("gid://shopify/FulfillmentOrder/"):
            return None
        fo_id = _legacy(global_id)
        order = self._order(fo_id // FULFILLMENT_ORDER_FACTOR)
        if order is None:
            return None
        for fulfillment_order in order["fulfillment_orders"]:
            if fulfillment_order["id"] == fo_id:
                return order, fulfillment_order
        return None

    def _rest_order(self, order: dict[str, Any]) -> dict[str, Any]:
        """The REST shape webhooks carry (trimmed to what a receiver reads)."""
        totals = self._totals(order)
        return {
            "id": order["id"],
            "admin_graphql_api_id": f"gid://shopify/Order/{order['id']}",
            "name": order["name"],
            "order_number": int(re.sub(r"\D", "", order["name"]) or 0),
            "email": order["email"],
            "created_at": _iso(order["created_at"]),
            "updated_at": _iso(order["updated_at"]),
            "cancelled_at": _iso(order["cancelled_at"]),
            "cancel_reason": (order.get("cancel_reason") or "").lower() or None,
            "financial_status": order["financial_status"].lower(),
            "currency": order["currency"],
            "subtotal_price": _amount(totals["subtotal"]),
            "total_tax": _amount(totals["tax"]),
            "total_price": _amount(totals["total"]),
            "line_items": [
                {
                    "id": line["id"],
                    "sku": line["sku"],
                    "title": line["title"],
                    "quantity": line["quantity"],
                    "price": _amount(line["price"]),
                }
                for line in order["line_items"]
            ],
            "shipping_address": order["shipping_address"],
        }
