"""Schemathesis against the served app (uvicorn on 127.0.0.1): every operation of the OpenAPI
document, with generated valid and invalid inputs, anonymous and signed in as a commander and
as an admin. No answer may be a server error or a status the document does not list.

Bounded: a fixed number of examples per operation and mode, derandomised (the same cases on
every run), no shrinking; it takes about a minute on a quiet machine.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from jinghang.api.runtime import add_dispatcher
from jinghang.api.services import Services
from jinghang.flight import Fleet
from tests.api.harness import running_api

#: Examples per operation and mode (JINGHANG_FUZZ_EXAMPLES for a longer hunt).
EXAMPLES = int(os.environ.get("JINGHANG_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance]


def fuzz_operation(
    operation: schemathesis.APIOperation,
    mode: schemathesis.GenerationMode,
    base_url: str,
    identities: dict[str, dict[str, str]],
    calls: list[int],
) -> list[str]:
    """Run ``operation`` with inputs of ``mode`` as every identity; the failures found
    (``calls[0]`` counts the requests made)."""
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        for who, headers in identities.items():
            calls[0] += 1
            try:
                case.call_and_validate(
                    base_url=base_url, headers=headers, checks=CHECKS, timeout=60
                )
            except (Exception, BaseExceptionGroup) as exc:  # a failed check: collect it
                line = " ".join(str(exc).split())[:400]
                failures.append(f"{operation.label} [{mode.value}, {who}]: {line}")

    try:
        run()
    except Unsatisfiable:  # no invalid input exists (an operation without parameters)
        pass
    return failures


def fuzz(base_url: str, identities: dict[str, dict[str, str]]) -> tuple[list[str], int, int]:
    """Run every operation of the served document: the failures found (one line each), the
    operations and the requests made."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    failures: list[str] = []
    calls = [0]
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            failures += fuzz_operation(operation, mode, base_url, identities, calls)
    return failures, operations, calls[0]


def with_dispatcher(services: Services) -> None:
    """A fleet without drones and a running dispatcher: every route is served (a drone that
    is not there is a 404, not a 503 for a part that is missing)."""
    services.fleet = Fleet(services.bus)
    add_dispatcher(services, poll_s=0.05)


async def test_schemathesis_finds_no_server_error_and_no_undocumented_status(
    tmp_path: Path,
) -> None:
    async with running_api(tmp_path, customize=with_dispatcher) as api:
        identities = {
            "anonymous": {},
            "commander": api.auth("commander"),
            "admin": api.auth("admin"),
        }
        failures, operations, calls = await asyncio.to_thread(fuzz, api.url, identities)
    assert operations >= 40, f"only {operations} operations in the document"
    assert calls >= 10 * operations, f"only {calls} requests made"
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} failures:\n" + "\n".join(unique[:40])
