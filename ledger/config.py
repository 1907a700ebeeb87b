"""Settings of a libledger installation: where the chain, the mirror and the files are.

Read, in order of precedence, from environment variables (``LIBLEDGER_*``), a ``libledger.toml``
in the working directory (or the file named by ``LIBLEDGER_CONFIG``), and the embedded defaults
(local anvil chain, SQLite mirror and content store under ``./.libledger``).
"""

from __future__ import annotations

import os
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Chain id of the local development chain (anvil): fixed so manifests stay valid across restarts.
DEV_CHAIN_ID = 15_311


class ChainProfile(str, Enum):
    """How the chain behaves: ``dev`` (anvil; may roll back) or ``qbft`` (Besu QBFT; final)."""

    dev = "dev"
    qbft = "qbft"


class Settings(BaseSettings):
    """One installation's configuration. Paths are resolved against the working directory."""

    model_config = SettingsConfigDict(env_prefix="LIBLEDGER_", extra="ignore")

    rpc_url: str = Field("http://127.0.0.1:8545", description="JSON-RPC endpoint of the chain")
    chain_profile: ChainProfile = Field(ChainProfile.dev, description="dev (anvil) or qbft (Besu)")
    database_url: str | None = Field(None, description="SQLAlchemy URL of the mirror; default SQLite in data_dir")
    data_dir: Path = Field(Path(".libledger"), description="chain state, manifest, content store, mirror")
    keystore_dir: Path | None = Field(None, description="encrypted key files; default data_dir/keystore")
    keystore_password: str | None = Field(None, description="password of the keystore files (env only)")
    anvil_port: int = Field(8545, description="port of the local anvil node started by `chain up`")
    api_host: str = Field("127.0.0.1")
    api_port: int = Field(8000)
    default_gas: int = Field(3_000_000, description="gas limit of a transaction when none is given")
    rpc_timeout: float = Field(30.0, description="seconds to wait for one JSON-RPC answer")
    shared_nonces: bool = Field(
        False, description="reserve nonces under file locks in data_dir/nonces: set when several processes sign for the same accounts "
        "(`libledger-api serve --workers N` sets it for its workers)",
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
        toml_file = Path(os.environ.get("LIBLEDGER_CONFIG", "libledger.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    @cached_property
    def data_path(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def keystore_path(self) -> Path:
        return (self.keystore_dir or self.data_path / "keystore").expanduser().resolve()

    @property
    def manifest_path(self) -> Path:
        return self.data_path / "deployment.json"

    @property
    def mirror_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_path / 'mirror.sqlite'}"

    @property
    def content_path(self) -> Path:
        return self.data_path / "content"

    def model_post_init(self, __context: Any) -> None:  # noqa: D401 - pydantic hook
        if self.rpc_url == "http://127.0.0.1:8545" and self.anvil_port != 8545:
            self.rpc_url = f"http://127.0.0.1:{self.anvil_port}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from environment + libledger.toml, with explicit ``overrides`` winning."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
