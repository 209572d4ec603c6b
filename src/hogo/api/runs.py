"""The routes that start and list background runs (a release, a profile job, a segment export),
written once for all.

A caller sends the run's spec as JSON (the keys of the YAML the CLI reads, paths relative to the
folders the settings name); the service reads it, judges what it can at once and accepts the run
in the request's transaction; the answer is 202 with the run's id and `Location` pointing at it,
where the caller follows the run. Only roles allowed to handle personal data may start a run:
its outputs are personal data or are made from them. The list (newest first, no person in it) is
for every reader.

No `from __future__ import annotations` here: FastAPI reads the handler's annotations, and the
body's description is given per run, so they must be objects, not names to resolve.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Response
from pydantic import BaseModel, Field, create_model

from hogo.api.problems import responses
from hogo.auth.roles import Permission
from hogo.config import Settings
from hogo.http.deps import DbDep, Reader, SessionDep, SettingsDep, require
from hogo.services.auth import Principal

Spec = TypeVar("Spec")
Info = TypeVar("Info")
Starter = Annotated[Principal, Depends(require(Permission.personal_data))]


@dataclass(frozen=True)
class Operation:
    """A route's operation id and its description (Japanese / English); `named`, the summary
    where it is not the id's words (the name the route was published under first)."""

    id: str
    doc: str
    named: str = ""

    @property
    def summary(self) -> str:
        """As FastAPI names an operation from its handler: startProfile → Start Profile."""
        return self.named or re.sub(r"(?<!^)(?=[A-Z])", " ", self.id).title()


def add_run_routes(
    router: APIRouter,
    *,
    spec: str,
    submitted: Callable[[Any, Settings], Spec],
    start: Callable[[SessionDep, DbDep, Spec], str],
    run_id: str,
    listing: Callable[[SessionDep], Iterable[Info]],
    summary: Callable[[Info], BaseModel],
    listed: type[BaseModel],
    operations: tuple[Operation, Operation],
) -> None:
    """`POST` and `GET` on the router's prefix. `submitted` reads the body (described by `spec`),
    `start` accepts the run and gives its id, answered as `{Run}AcceptedOut` (the id under the
    field `run_id` names, and `running`); `listing` gives the runs, each shown by `summary`, all
    as `listed` (under `items`)."""
    accepted = create_model(
        run_id.removesuffix("_id").title() + "AcceptedOut",
        **{run_id: (str, ...), "status": (str, Field(description="running"))},  # type: ignore[call-overload]
    )
    started, listed_op = operations

    def start_run(
        session: SessionDep,
        store: DbDep,
        settings: SettingsDep,
        _: Starter,
        response: Response,
        body: Annotated[dict[str, Any], Body(description=spec)],
    ) -> BaseModel:
        started_id = start(session, store, submitted(body, settings))
        response.headers["Location"] = f"/api/v1{router.prefix}/{started_id}"
        return accepted.model_validate({run_id: started_id, "status": "running"})

    def list_runs(session: SessionDep, _: Reader) -> BaseModel:
        return listed.model_validate({"items": [summary(i) for i in listing(session)]})

    start_run.__doc__, list_runs.__doc__ = started.doc, listed_op.doc
    router.post(
        "",
        operation_id=started.id,
        summary=started.summary,
        status_code=202,
        response_model=accepted,
        responses=responses(409),
    )(start_run)
    router.get(
        "", operation_id=listed_op.id, summary=listed_op.summary, response_model=listed, responses=responses()
    )(list_runs)
