"""The signing credentials, trust anchors and watermark key, built from settings.

On the embedded default a local root CA and signing certificate are created under
PROVENANCE_KEYS_DIR the first time they are needed; production configures a managed chain.
"""

from __future__ import annotations

import fcntl
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _local_chain():
    from provenance.keys import LocalChain, create_local_chain

    folder = Path(settings.PROVENANCE_KEYS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    # Web and worker processes may both get here first: one creates, the others wait.
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        chain = LocalChain(folder / "root.pem", folder / "signer.pem", folder / "signer.key")
        if not chain.key.exists():
            chain = create_local_chain(folder, organization="Likeness (local development)")
    return chain


@lru_cache(maxsize=4)
def _signing_config(chain_path: str, key_path: str, tsa_url: str | None, keys_dir: str):
    from provenance.manifest import SigningConfig

    if chain_path and key_path:
        return SigningConfig(chain_path=Path(chain_path), key_path=Path(key_path), tsa_url=tsa_url)
    if chain_path or key_path:
        raise ImproperlyConfigured("Set both PROVENANCE_SIGNING_CHAIN and PROVENANCE_SIGNING_KEY")
    return SigningConfig.from_local_chain(_local_chain(), tsa_url=tsa_url)


def signing_config():
    return _signing_config(
        settings.PROVENANCE_SIGNING_CHAIN,
        settings.PROVENANCE_SIGNING_KEY,
        settings.PROVENANCE_TSA_URL,
        str(settings.PROVENANCE_KEYS_DIR),
    )


def trust_config():
    from provenance.manifest import TrustConfig

    root = settings.PROVENANCE_TRUST_ROOT or str(_local_chain().root_cert)
    return TrustConfig.from_paths(root, settings.PROVENANCE_TRUST_BUNDLE or None)


def watermark_key() -> bytes:
    return settings.WATERMARK_KEY.encode()


def soft_binding_alg() -> str:
    """The soft-binding algorithm name our manifests state and the resolution API accepts:
    ``<PROVENANCE_SOFT_BINDING_ALG_DOMAIN>.ssw.v3`` (see docs/soft-binding.md)."""
    from provenance.binding import soft_binding_alg as alg_under

    try:
        return alg_under(settings.PROVENANCE_SOFT_BINDING_ALG_DOMAIN)
    except ValueError as exc:
        raise ImproperlyConfigured(f"PROVENANCE_SOFT_BINDING_ALG_DOMAIN: {exc}") from exc
