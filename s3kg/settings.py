"""Settings for the command line and the server, read when asked for (never at import).

Precedence: command-line option > environment variable (S3KG_*) > settings file > default.
The settings file is TOML, `s3kg.toml` in the working directory or the file named by
S3KG_SETTINGS_FILE.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from loaders.build import BuildConfig
from loaders.core import paths
from loaders.core.file_limits import FileLimits
from loaders.core.iris import DEFAULT_BASE_IRI, IriMinter
from loaders.publish.remote import Engine, RemoteTarget
from s3kg.machine import Machine, Pool, pool_for


def _pool(data: dict[str, Any]) -> Pool:
    return pool_for(Machine.here(), int(data.get("query_memory_mb", 4096)))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="S3KG_", extra="forbid")

    base_iri: str = DEFAULT_BASE_IRI
    data_dir: Path = paths.DATA_DIR  # the default build's sources: data/ of the checkout, or the wheel's copy
    store_dir: Path = Field(default_factory=lambda: Path.cwd() / "var" / "store")  # under the working directory
    report_dir: Path = Field(default_factory=lambda: Path.cwd() / "var" / "reports")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    query_timeout: float = Field(default=30.0, gt=0)
    public_url: str | None = None  # the server's own public address; default http://host:port/
    max_rows: int = Field(default=1_000_000, ge=1)
    max_query_bytes: int = Field(default=100_000, ge=100)
    service_allow_list: list[str] = Field(default_factory=list)
    client_seconds_per_minute: float = Field(default=30.0, gt=0)  # query time one client may use per minute
    client_concurrency: int = Field(default=1, ge=1)  # queries one client may run at once per server process
    queue_wait: float = Field(default=5.0, gt=0)  # longest wait for a free worker before 503
    query_memory_mb: int = Field(default=4096, ge=0)  # memory cap of each query worker; 0 for none
    # server processes, each with its own query workers, and workers per process: by default from
    # the machine's cores and memory (s3kg.machine; 2 and 2 on 2 cores and 24 GB)
    processes: int = Field(default_factory=lambda data: _pool(data).processes, ge=1)
    workers: int = Field(default_factory=lambda data: _pool(data).workers, ge=1)
    cache_bytes: int = Field(default=64 << 20, ge=0)  # 0 turns the answer cache off
    strict: bool = False  # a rejected row of a real export fails the build
    max_reject_share: float = Field(default=0.05, ge=0, le=1)  # a file with more of its rows rejected fails the build
    keep_builds: int = Field(default=3, ge=1)  # versions kept on disk, each with its dumps and changes (Memento, /feed)
    shacl_engine: Literal["oxigraph", "rudof", "pyshacl"] = "oxigraph"  # see loaders.validate.engines
    # Where the graph is served from: the embedded store in store_dir, or a SPARQL engine (docs/scale-out.md)
    store: Literal["embedded", "sparql"] = "embedded"
    sparql_query_url: str | None = None
    sparql_update_url: str | None = None
    sparql_store_url: str | None = None  # Graph Store Protocol, for bulk upload (else SPARQL Update)
    sparql_engine: Engine = "generic"  # oxigraph, virtuoso or generic: what the engine's answers need
    sparql_user: str | None = None
    sparql_password: SecretStr | None = None  # from S3KG_SPARQL_PASSWORD; never logged
    sparql_password_file: Path | None = None  # or read from this file
    sparql_grace: float = Field(default=5.0, ge=0)  # seconds the previous build stays after a switch
    sparql_poll: float = Field(default=1.0, gt=0)  # seconds a server trusts its idea of the current build
    # Virtuoso beside the build: its bulk loader reads the graphs from a folder in its DirsAllowed,
    # run through isql on its SQL port (host:port); else they are uploaded over HTTP
    sparql_load_dir: Path | None = None
    virtuoso_sql_address: str | None = None
    # What one source file may ask of a build (loaders.core.file_limits): sizes in MB
    max_yaml_mb: int = Field(default=FileLimits.max_yaml_mb, ge=1)
    max_json_mb: int = Field(default=FileLimits.max_json_mb, ge=1)
    max_nesting: int = Field(default=FileLimits.max_nesting, ge=2)
    max_field_mb: int = Field(default=FileLimits.max_field_mb, ge=1)
    max_workbook_mb: int = Field(default=FileLimits.max_workbook_mb, ge=1)
    max_unpacked_mb: int = Field(default=FileLimits.max_unpacked_mb, ge=1)
    max_unpack_ratio: int = Field(default=FileLimits.max_unpack_ratio, ge=10)

    @field_validator("base_iri")
    @classmethod
    def _base_iri_is_valid(cls, value: str) -> str:
        IriMinter(value)  # raises ValueError with the fix
        return value

    @model_validator(mode="after")
    def _sparql_store_is_complete(self) -> Settings:
        if self.store == "sparql" and not (self.sparql_query_url and self.sparql_update_url):
            raise ValueError("store = 'sparql' needs sparql_query_url and sparql_update_url (S3KG_SPARQL_QUERY_URL, …)")
        return self

    def remote_target(self) -> RemoteTarget | None:
        """The SPARQL engine to publish into and serve from, or None for the embedded store."""
        if self.store != "sparql" or not self.sparql_query_url or not self.sparql_update_url:
            return None
        password = self.sparql_password.get_secret_value() if self.sparql_password else None
        if self.sparql_password_file is not None:
            password = self.sparql_password_file.read_text(encoding="utf-8").strip()
        return RemoteTarget(
            self.sparql_query_url,
            self.sparql_update_url,
            self.sparql_store_url,
            self.sparql_engine,
            self.sparql_user,
            password,
            self.query_timeout,
            str(self.sparql_load_dir) if self.sparql_load_dir is not None else None,
            self.virtuoso_sql_address,
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("S3KG_SETTINGS_FILE", "s3kg.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    def build_config(self) -> BuildConfig:
        return BuildConfig(
            data_dir=self.data_dir,
            sources_file=self.data_dir / "sources.yaml",
            store_dir=self.store_dir,
            report_dir=self.report_dir,
            base_iri=self.base_iri,
            shacl_engine=self.shacl_engine,
            strict=self.strict,
            max_reject_share=self.max_reject_share,
            remote=self.remote_target(),
            remote_grace=self.sparql_grace,
            keep_builds=self.keep_builds,
            limits=FileLimits(**{name: getattr(self, name) for name in FileLimits.__dataclass_fields__}),
        )


def load_settings(**overrides: Any) -> Settings:
    """Settings with the given command-line values on top (None means 'not given')."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
