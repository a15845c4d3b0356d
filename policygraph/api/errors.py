"""The one error body every endpoint returns, and the handlers that build it.

```json
{"error": {"code": "content_too_long", "message": "...", "field": "text"}}
```

`code` is stable and machine-readable; `message` is for humans; `field` names the offending request
field (dotted path into the body, or the query/path parameter name) when there is one; a refused
upload adds `file`, `line` and `problem`; a validation error with several problems lists them all
under `errors`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from policygraph.errors import (
    AgentUnavailable,
    Conflict,
    ContentTooLong,
    DeadlineExceeded,
    IngestError,
    NotFound,
    NotServed,
    Overloaded,
    PolicyGraphError,
    StoreError,
    StoreUnavailable,
)
from policygraph.models import EMPTY_CONTENT

log = logging.getLogger("api")


class FieldError(BaseModel):
    field: str | None = None
    code: str
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable error code")
    message: str = Field(description="What went wrong, for a human")
    field: str | None = Field(None, description="The request field at fault (dotted path), when there is one")
    file: str | None = Field(None, description="Upload errors: the file that was refused")
    line: int | None = Field(None, description="Upload errors: the 1-based line of the problem, when known")
    problem: str | None = Field(None, description="Upload errors: the problem found in the file")
    errors: list[FieldError] | None = Field(None, description="Validation errors: every problem found")


class ErrorResponse(BaseModel):
    error: ErrorDetail

    model_config = {"json_schema_extra": {"examples": [
        {"error": {"code": "content_too_long", "message": "text: String should have at most 20000 characters",
                   "field": "text"}}]}}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers
        self.extra = extra


def error_body(code: str, message: str, **extra: Any) -> dict:
    return {"error": {"code": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}}


def error_response(status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                   **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(code, message, **extra), status_code=status, headers=headers)


def _note_error(request: Request, code: str) -> None:
    """Tell the observability middleware which error code this request ended with."""
    request.scope.setdefault("state", {})["error_code"] = code


# --------------------------------------------------------------------------- validation errors

_TYPE_CODES = {
    "json_invalid": "malformed_json",
    "json_type": "malformed_json",
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    EMPTY_CONTENT: "missing_field",
}


def _field_path(loc: tuple | list) -> str | None:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    if not parts:
        return "body"
    return ".".join(str(p) for p in parts)


def _code_for(err: dict) -> str:
    typ = err.get("type", "")
    loc = [p for p in err.get("loc", ()) if p != "body"]
    if typ in _TYPE_CODES:
        return _TYPE_CODES[typ]
    if typ == "string_too_long" and loc and loc[-1] == "text":
        return "content_too_long"
    if typ == "too_long" and loc and loc[-1] == "items":
        return "batch_too_large"
    return "invalid_field"


def _message_for(err: dict, field: str | None) -> str:
    msg = str(err.get("msg", "invalid value"))
    if err.get("type") == "json_invalid":
        detail = (err.get("ctx") or {}).get("error")
        pos = err.get("loc", ("body", None))[-1]
        where = f" at character {pos}" if isinstance(pos, int) else ""
        return f"request body is not valid JSON{where}" + (f": {detail}" if detail else "")
    return f"{field}: {msg}" if field else msg


async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errs = list(exc.errors())
    items: list[FieldError] = []
    for e in errs:
        field: str | None
        if e.get("type") == "json_invalid":
            field = "body"
        elif e.get("type") == EMPTY_CONTENT:  # nothing to check: the plain text is what is missing
            field = _field_path([*e.get("loc", ()), "text"])
        else:
            field = _field_path(e.get("loc", ()))
        items.append(FieldError(field=field, code=_code_for(e), message=_message_for(e, field)))
    # the most telling error first: malformed JSON, then limits, then the rest in order
    rank = {"malformed_json": 0, "batch_too_large": 1, "content_too_long": 2}
    items.sort(key=lambda f: rank.get(f.code, 9))
    first = items[0] if items else FieldError(field=None, code="invalid_request", message="invalid request")
    _note_error(request, first.code)
    return error_response(422, first.code, first.message, field=first.field,
                          errors=[i.model_dump(exclude_none=True) for i in items] if len(items) > 1 else None)


# --------------------------------------------------------------------------- the rest


async def api_error_handler(request: Request, exc: ApiError) -> JSONResponse:
    _note_error(request, exc.code)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers, field=exc.field, **exc.extra)


async def ingest_error_handler(request: Request, exc: IngestError) -> JSONResponse:
    _note_error(request, "invalid_document")
    return error_response(400, "invalid_document", f"document refused, nothing was changed: {exc}",
                          field="file", file=exc.path, line=exc.line, problem=exc.problem)


async def not_found_handler(request: Request, exc: NotFound) -> JSONResponse:
    _note_error(request, "not_found")
    return error_response(404, "not_found", str(exc))


async def content_too_long_handler(request: Request, exc: ContentTooLong) -> JSONResponse:
    _note_error(request, "content_too_long")
    return error_response(422, "content_too_long", str(exc), field=exc.field)


async def agent_unavailable_handler(request: Request, exc: AgentUnavailable) -> JSONResponse:
    _note_error(request, "not_ready")
    return error_response(503, "not_ready", str(exc))


async def conflict_handler(request: Request, exc: Conflict) -> JSONResponse:
    # an older version than the stored one, a stale draft: the client's request, not the server
    _note_error(request, "conflict")
    return error_response(409, "conflict", str(exc))


async def store_unavailable_handler(request: Request, exc: StoreUnavailable) -> JSONResponse:
    # an outage is not the author's fault: say so, and that trying again later may work
    log.error("store unavailable in %s %s: %s", request.method, request.url.path, exc)
    _note_error(request, "store_unavailable")
    return error_response(503, "store_unavailable", f"the graph store cannot be reached; try again later: {exc}",
                          headers={"Retry-After": "5"})


async def store_error_handler(request: Request, exc: StoreError) -> JSONResponse:
    log.error("store error in %s %s: %s", request.method, request.url.path, exc)
    _note_error(request, "store_error")
    return error_response(500, "store_error", f"the store refused the operation; nothing was changed: {exc}")


async def policygraph_error_handler(request: Request, exc: PolicyGraphError) -> JSONResponse:
    # an error class without its own handler: a server-side problem, said in its own words
    log.error("unmapped %s in %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
    _note_error(request, "internal_error")
    return error_response(500, "internal_error", str(exc))


def _unparsable_json(exc: StarletteHTTPException) -> str | None:
    """Why FastAPI could not decode a JSON body, when that is what its 400 "There was an error parsing
    the body" means: it turns only `JSONDecodeError` into a validation error (`json_invalid`, 422) and
    anything else `json.loads` raises into that 400 — bytes that are not UTF-8 (`UnicodeDecodeError`),
    nesting deeper than the parser's recursion limit (`RecursionError`), an integer literal over
    Python's digit limit (`ValueError`). Those are malformed JSON too, and answered as such."""
    if exc.status_code != 400:
        return None
    cause = exc.__cause__
    if isinstance(cause, UnicodeDecodeError):
        return (f"request body is not valid JSON: not {cause.encoding.upper()} text ({cause.reason} "
                f"at byte {cause.start})")
    if isinstance(cause, RecursionError):
        return "request body is not valid JSON: nested too deeply"
    if isinstance(cause, ValueError):
        msg = str(cause)
        if "integer string conversion" in msg:
            msg = "an integer has too many digits"
        return f"request body is not valid JSON: {msg[:200]}"
    return None


async def http_exception_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if (why := _unparsable_json(exc)) is not None:
        _note_error(request, "malformed_json")
        return error_response(422, "malformed_json", why, field="body")
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden",
             413: "request_too_large", 415: "unsupported_media_type"}
    code = codes.get(exc.status_code, "http_error")
    _note_error(request, code)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no endpoint {request.method} {request.url.path}"
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error in %s %s", request.method, request.url.path)
    _note_error(request, "internal_error")
    return error_response(500, "internal_error", "internal error; see the server log")


async def not_served_handler(request: Request, exc: NotServed) -> JSONResponse:
    """Admission control (policygraph/api/admission.py): 429 when refused at once, 503 when the time ran
    out or the client left; both say when to come back."""
    code, status = (("overloaded", 429) if isinstance(exc, Overloaded) else
                    ("deadline_exceeded", 503) if isinstance(exc, DeadlineExceeded) else ("cancelled", 503))
    _note_error(request, code)
    return error_response(status, code, str(exc), headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))})


def install_error_handlers(app: FastAPI) -> None:
    # Starlette types a handler as taking any Exception, so one typed for its own exception class is
    # refused (arg-type) although Starlette only calls it with that class
    app.add_exception_handler(RequestValidationError, validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(ApiError, api_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(IngestError, ingest_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(NotFound, not_found_handler)  # type: ignore[arg-type]
    app.add_exception_handler(ContentTooLong, content_too_long_handler)  # type: ignore[arg-type]
    app.add_exception_handler(AgentUnavailable, agent_unavailable_handler)  # type: ignore[arg-type]
    app.add_exception_handler(NotServed, not_served_handler)  # type: ignore[arg-type]
    app.add_exception_handler(Conflict, conflict_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StoreUnavailable, store_unavailable_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StoreError, store_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(PolicyGraphError, policygraph_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unhandled_handler)
