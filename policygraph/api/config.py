"""Settings of the service layer: environment variables prefixed `POLICYGRAPH_API_`, plus an optional
TOML file named by `POLICYGRAPH_API_CONFIG`.

API keys come from `POLICYGRAPH_API_KEYS` (``"key1:agent,key2:author,key3:admin"``), from a TOML file
named by `POLICYGRAPH_API_KEYS_FILE` (a ``[keys]`` table mapping key to role, or ``[[keys]]`` entries
with ``key`` and ``role``), or both. Keys are kept only as SHA-256 digests once loaded and are never
logged; a log line names a key by a short digest prefix (`key_id`).
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from policygraph.settings import TomlFileSource

Role = Literal["agent", "author", "admin"]
ROLES: tuple[Role, ...] = ("agent", "author", "admin")
#: what each role may do; a role includes the rights of the roles before it
ROLE_RANK: dict[str, int] = {r: i for i, r in enumerate(ROLES)}


def key_id(key: str) -> str:
    """A short, non-reversible name for a key, safe to log."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_keys(spec: str) -> dict[str, Role]:
    """``"key1:agent,key2:author"`` -> {key: role}. Whitespace and empty items are ignored."""
    out: dict[str, Role] = {}
    for item in spec.replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, role = item.rpartition(":")
        if not sep or not key.strip():
            raise ValueError("each API key entry must be 'key:role' (role: agent, author or admin)")
        role = role.strip().lower()
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} for an API key (use agent, author or admin)")
        out[key.strip()] = role
    return out


def load_keys_file(path: str | Path) -> dict[str, Role]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    keys = data.get("keys", data)
    out: dict[str, Role] = {}
    items: list[tuple[str, str]] = []
    if isinstance(keys, dict):
        items = [(str(k), str(v)) for k, v in keys.items()]
    elif isinstance(keys, list):
        items = [(str(e["key"]), str(e["role"])) for e in keys]
    for k, role in items:
        role = role.lower()
        if role not in ROLES:
            raise ValueError(f"{path}: unknown role {role!r} for an API key (use agent, author or admin)")
        out[k] = role
    return out


class ApiConfig(BaseSettings):
    """Configuration of the HTTP API and the MCP server."""

    model_config = SettingsConfigDict(env_prefix="POLICYGRAPH_API_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    #: worker processes serving one port (`serve --workers N`); each holds its own model and corpus in memory
    workers: int = Field(1, ge=1, le=64)

    #: "key:role,key:role"; roles: agent (read), author (read + upload), admin (everything)
    keys: SecretStr = SecretStr("")
    #: TOML file with more keys ([keys] table key = "role", or [[keys]] key=..., role=...)
    keys_file: Path | None = None

    #: largest request body accepted, except uploads (bytes)
    max_request_bytes: int = Field(1024 * 1024, ge=1024)
    #: largest upload request body (bytes); the document itself is also held to the engine's max_file_bytes
    max_upload_bytes: int = Field(12 * 1024 * 1024, ge=1024)
    #: longest content text accepted by /v1/context and the MCP tools (characters)
    max_content_chars: int = Field(20_000, ge=1)
    #: most items in one /v1/context/batch request
    max_batch_size: int = Field(64, ge=1)
    #: decisions remembered per process, by request and corpus version (repeats cost nothing); 0: off
    decision_cache: int = Field(1024, ge=0)

    # --- admission control (policygraph/api/admission.py): decision work at once, waiting, deadlines
    #: decisions that run at once (default: twice the CPU count)
    max_running_decisions: int = Field(default_factory=lambda: max(2, 2 * (os.cpu_count() or 1)), ge=1)
    #: of which one key may hold at most this many (default: all but one, so another key always finds a turn)
    per_key_running: int | None = Field(None, ge=1)
    #: requests that may wait for a turn, in all and per key; beyond: 429 with Retry-After at once
    max_queued_decisions: int = Field(64, ge=0)
    per_key_queued: int = Field(32, ge=0)
    #: a decision's deadline, waiting included (a batch: this per item, at most 10 times it); then 503
    decision_deadline_s: float = Field(30.0, gt=0)
    #: the Retry-After of a 429 or 503 (seconds)
    retry_after_s: float = Field(1.0, gt=0)

    #: mount the MCP streamable HTTP endpoint in the API app at this path ("" to disable)
    mcp_path: str = "/mcp"
    #: /metrics without a key (Prometheus scrapers usually carry none)
    public_metrics: bool = True
    log_level: str = "info"
    #: at startup, load the agent, make the embedding model's mapped weights resident and make one decision
    #: (the first request is then not slower, and memory does not creep up as unseen tokens arrive)
    warmup: bool = True

    @field_validator("mcp_path")
    @classmethod
    def _mcp_path(cls, v: str) -> str:
        v = v.strip()
        if v and not v.startswith("/"):
            v = "/" + v
        return v.rstrip("/") if v != "/" else v

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        api_file = TomlFileSource(settings_cls, "POLICYGRAPH_API_CONFIG", table="api")
        return (init_settings, env_settings, api_file, file_secret_settings)

    def admission(self):
        """The admission control these settings describe (policygraph/api/admission.py)."""
        from policygraph.api.admission import Admission

        return Admission(max_running=self.max_running_decisions, max_queued=self.max_queued_decisions,
                         per_key_running=self.per_key_running or max(1, self.max_running_decisions - 1),
                         per_key_queued=self.per_key_queued, retry_after=self.retry_after_s)

    def key_roles(self) -> dict[str, Role]:
        """{sha256(key): role} for every configured key."""
        keys = parse_keys(self.keys.get_secret_value())
        if self.keys_file is not None:
            keys.update(load_keys_file(self.keys_file))
        return {_digest(k): r for k, r in keys.items()}


class KeyStore:
    """Looks a presented key up by its digest; holds no key in clear."""

    def __init__(self, digests: dict[str, Role]) -> None:
        self._roles = dict(digests)

    @classmethod
    def from_config(cls, cfg: ApiConfig) -> KeyStore:
        return cls(cfg.key_roles())

    def __len__(self) -> int:
        return len(self._roles)

    def role_of(self, key: str | None) -> Role | None:
        if not key:
            return None
        return self._roles.get(_digest(key))


def allows(role: str | None, needed: Role) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[needed]
