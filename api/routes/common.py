"""Query parameters and helpers every router shares."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any

from fastapi import Query, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ..problems import Problem
from ..runtime import Runtime
from ..schemas import Item, Page, TxPublic, WriteResult, public_data
from ..services import reads
from ..services.common import Written

Limit = Annotated[int, Query(ge=1, le=200, description="page size (at most 200)")]
Cursor = Annotated[str | None, Query(max_length=400, description="opaque cursor from the previous page's next_cursor")]
Wait = Annotated[
    bool, Query(description="true: answer after the receipt and once the mirror shows the change; false: answer with the tx hash right after submission")
]
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"description": "mined (and mirrored unless tx.status says otherwise)"},
    202: {"description": "submitted (wait=false)"},
    401: {"description": "no or bad token (problem+json)"},
    403: {"description": "missing role, suspended member, or the contract refused for authority reasons (problem+json)"},
    404: {"description": "unknown record (problem+json)"},
    409: {"description": "the contract refused: state conflict (problem+json with error + args)"},
    422: {"description": "invalid input, or the contract refused the values (problem+json)"},
    503: {"description": "chain node unreachable (problem+json)"},
}


def json_of(model: BaseModel) -> Response:
    """``model`` as the response body, serialized once by pydantic's (Rust) serializer. A path
    operation that returns the model itself has FastAPI dump it, validate the dump against
    ``response_model`` and serialize it again: ~3x the CPU for a 50-item page. ``response_model``
    stays on the route for the OpenAPI schema (the schemathesis test checks answers against it)."""
    return Response(model.__pydantic_serializer__.to_json(model), media_type="application/json")


@cache
def _page(model: type[BaseModel]) -> type[BaseModel]:
    return Page[model]  # type: ignore[valid-type]


@cache
def _item(model: type[BaseModel]) -> type[BaseModel]:
    return Item[model]  # type: ignore[valid-type]


def page_of(model: type[BaseModel], items: list[dict[str, Any]], *, next_cursor: str | None, as_of_block: int) -> Response:
    """``Page[model]`` of read-layer dicts (amounts in fen) as the response: validated in one
    pydantic call (not one model per item) and serialized once."""
    page = {"items": [public_data(model, d) for d in items], "next_cursor": next_cursor, "as_of_block": as_of_block}
    return json_of(_page(model).model_validate(page))


def item_of(model: type[BaseModel], data: dict[str, Any], *, as_of_block: int) -> Response:
    """``Item[model]`` of one read-layer dict as the response (see ``page_of``)."""
    return json_of(_item(model).model_validate({"data": public_data(model, data), "as_of_block": as_of_block}))


def account_of(session: Session, isil: str) -> str:
    return reads.member_account(session, isil)


def write_result(
    rt: Runtime, response: Response, w: Written | None, *, ident: Any = None, read: Callable[[Session], Any] | None = None,
    created: bool = True, existing_status: int = 200,
) -> WriteResult[Any]:
    """The answer to a write: its tx, the id it created and (read-your-writes) the record from the mirror."""
    if w is None:
        response.status_code = existing_status
        data = None
        with rt.sessions() as s:
            if read is not None:
                data = read(s)
            head = reads.as_of(s)
        return WriteResult(tx=None, id=None if ident is None else str(ident), data=data, as_of_block=head)
    response.status_code = 202 if w.status == "submitted" else (201 if created else 200)
    data = None
    if w.status == "mirrored" and read is not None:
        with rt.sessions() as s:
            try:
                data = read(s)
            except Problem:
                data = None
    return WriteResult(
        tx=TxPublic(tx_hash=w.tx_hash, status=w.status, block_number=w.block_number),
        id=None if ident is None else str(ident),
        data=data,
        as_of_block=w.as_of_block,
    )
