"""Schemathesis against the JSON API of the in-process application, as an admin, a body's
secretary and a partner: no answer is a 5xx, and every answer matches the OpenAPI document
(status declared, content type, body schema, headers).

Each operation is one test (pytest-xdist spreads them); each role gets its own Hypothesis run
of ``EXAMPLES`` cases mixing data that fits the schema aimed at the world's real records, data
that fits it anywhere, and data that does not fit it. The runs are derandomized, so CI is
reproducible.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import World
from tests.fuzz.conftest import ROLES, ids_of, role_user
from veille.app import API_PREFIX, create_app
from veille.config import Settings

# Cases per operation and role; a PDF takes WeasyPrint most of a second, so fewer of those.
EXAMPLES = 10
FEWER = {"/api/v1/meetings/{meeting_id}/minutes.pdf": 3}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _schema() -> Any:
    app = create_app(Settings(database_url="sqlite://", secret_key="x" * 40))
    return schemathesis.openapi.from_dict(app.openapi())


SCHEMA = _schema()
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}


def _strategy(operation: Any, world: World) -> Any:
    real = {name: value for name, value in ids_of(world).items() if f"{{{name}}}" in operation.path}
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real),
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def test_the_api_is_fuzzed_whole() -> None:
    assert len(OPERATIONS) >= 69
    assert all(op.path.startswith(API_PREFIX) for op in OPERATIONS.values())


PATH_VALUES = {
    "huge": "9" * 40,
    "beyond_integer": str(2**31),
    "zero": "0",
    "unicode_digits": "²",
    "nko_digit": "߁",
    "not_latin": "%CE%93",
}


@pytest.mark.parametrize("engine_name", ["sqlite"])
def test_hostile_path_ids(app: Any, full_world: World, api_for: Any) -> None:
    """An id out of bounds, or not written in ASCII digits, in any operation's path: a 422 that
    says which parameter (JSON, as the document declares), never a 5xx. Refused before any query,
    so this runs on SQLite only."""
    client = api_for(full_world.admin)
    real = ids_of(full_world)
    for operation in OPERATIONS.values():
        for name in [n for n in real if f"{{{n}}}" in operation.path]:
            for label, value in PATH_VALUES.items():
                url = operation.path.format(**(real | {name: value}))
                response = client.request(operation.method.upper(), url, json={})
                where = f"{operation.method.upper()} {url} ({name} = {label})"
                assert response.status_code == 422, where
                assert response.json()["detail"][0]["loc"] == ["path", name], where


def _fuzz(operation: Any, app: Any, world: World, token: str) -> list[int]:
    """One Hypothesis run of the operation with this bearer token; the statuses answered."""
    statuses: list[int] = []

    @settings(
        max_examples=FEWER.get(operation.path, EXAMPLES),
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),  # no shrinking: a failure shows its request
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, world))
    def run(case: Any) -> None:
        # The generated Authorization header, if any, gives way to the role's token.
        headers = {"Authorization": token}
        response = case.call(app=app, headers=headers)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()
    return statuses


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation(label: str, app: Any, full_world: World, api_for: Any, fuzz_log: Any) -> None:
    operation = OPERATIONS[label]
    for role in ROLES:
        token = api_for(role_user(full_world, role)).headers["Authorization"]
        statuses = _fuzz(operation, app, full_world, token)
        fuzz_log("api", operation=label, role=role, cases=len(statuses), ok=sum(s < 300 for s in statuses))
