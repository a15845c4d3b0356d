"""Reading an uploaded policy document from a request: multipart (field `file`) or JSON
`{filename, content}`. Shared by the upload and draft endpoints; errors say which field is wrong."""

from __future__ import annotations

import json

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import JsonDict
from starlette.datastructures import UploadFile

from policygraph.api.errors import ApiError

UPLOAD_JSON_EXAMPLE: JsonDict = {
    "filename": "gambling.md",
    "content": "---\nid: gambling\ntitle: Gambling\ncategory: regulated_goods\nversion: 1\nlanguage: en\n---\n\n"
               "## Online gambling\n\n### GB-1.1 Unlicensed gambling promotion\n"
               "{kind: prohibited, severity: high, actions: [remove]}\n\n"
               "Content that promotes unlicensed online casinos or betting services.\n",
}


class UploadJson(BaseModel):
    """A policy document sent as JSON; the file name's suffix picks the format."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [UPLOAD_JSON_EXAMPLE]})

    filename: str = Field(min_length=1, max_length=255, description="e.g. gambling.md, rules.yaml")
    content: str = Field(min_length=1, description="The document text (UTF-8)")


async def read_upload(request: Request) -> tuple[str, bytes]:
    """(file name, bytes) of the document in the request body; ApiError 415/422 naming the field."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=10)
        except Exception as exc:  # malformed multipart
            raise ApiError(422, "malformed_multipart", f"cannot read the multipart body: {exc}", field="file") from exc
        try:
            f = form.get("file")
            if not isinstance(f, UploadFile):
                raise ApiError(422, "missing_field", "multipart field 'file' (a file) is required", field="file")
            return f.filename or "", await f.read()
        finally:
            await form.close()
    if ctype == "application/json" or ctype.endswith("+json"):
        raw = await request.body()
        try:
            data = json.loads(raw)
        except RecursionError:
            raise ApiError(422, "malformed_json", "request body is nested too deeply", field="body") from None
        except ValueError as exc:
            raise ApiError(422, "malformed_json", f"request body is not valid JSON: {exc}", field="body") from None
        try:
            up = UploadJson.model_validate(data)
        except ValidationError as exc:
            e = exc.errors()[0]
            field = ".".join(str(p) for p in e["loc"]) or "body"
            code = {"missing": "missing_field", "extra_forbidden": "unknown_field"}.get(e["type"], "invalid_field")
            raise ApiError(422, code, f"{field}: {e['msg']}", field=field) from None
        return up.filename, up.content.encode("utf-8")
    raise ApiError(415, "unsupported_media_type",
                   "send the document as multipart/form-data (field 'file') or JSON {filename, content}",
                   field="content-type")
