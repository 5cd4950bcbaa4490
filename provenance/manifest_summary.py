"""The facts a manifest states, read once and typed: who signed, what made it, from what.

:class:`ManifestSummary` parses the dict of :meth:`provenance.manifest.ManifestResult.as_dict`
(the form stored on a clip and sent across the examination sandbox) into plain values. It is the
one reader of those dicts: the clip's credentials panel and the verification findings both use
it, so they agree on which actions count (``c2pa.actions.v2`` and the older ``c2pa.actions``).

A manifest may come from anyone, so every field is read defensively: a value of the wrong type
reads as missing, never as an error. Lengths are not bounded here (callers that store or show
foreign claims bound them). Pure: no c2pa, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACTIONS_LABELS",
    "AI_SOURCE_TYPES",
    "MODELS_PARAMETERS",
    "ManifestAction",
    "ManifestSummary",
]

# Both versions of the actions assertion, newest first; c2pa suffixes repeats with "__<n>".
ACTIONS_LABELS = ("c2pa.actions.v2", "c2pa.actions")
_ACTIONS_LABEL = re.compile(r"^c2pa\.actions(\.v2)?(__\d+)?$")
# Where c2pa.created names its models: the namespaced key, then the key of clips signed before
# parameters were namespaced.
MODELS_PARAMETERS = ("com.likeness.models", "models")
# IPTC digital source types that say a model generated (all or part of) the media.
AI_SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")
_NO_MANIFEST = "no_manifest"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


@dataclass(frozen=True)
class ManifestAction:
    """One entry of an actions assertion."""

    action: str  # e.g. "c2pa.created", "c2pa.watermarked.bound"
    digital_source_type: str = ""  # an IPTC URI, for c2pa.created
    software_agent: str = ""  # "name version" of the tool that acted
    parameters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ManifestAction:
        agent = data.get("softwareAgent")
        if isinstance(agent, Mapping):  # v2: {"name", "version"}; v1: a plain string
            agent = " ".join(_text(agent.get(k)) for k in ("name", "version") if agent.get(k))
        return cls(
            action=_text(data.get("action")),
            digital_source_type=_text(data.get("digitalSourceType")),
            software_agent=_text(agent),
            parameters=_mapping(data.get("parameters")),
        )

    @property
    def ai_generated(self) -> bool:
        return any(kind in self.digital_source_type for kind in AI_SOURCE_TYPES)


@dataclass(frozen=True)
class ManifestSummary:
    status: str = _NO_MANIFEST  # a ManifestStatus value: no_manifest, ours_trusted, ...
    trusted: bool = False  # the signer chains to a configured anchor
    signature_valid: bool = False  # the claim's signature validates, whoever signed
    signed_by_us: bool = False  # ... and with a certificate chaining to our root alone
    issuer: str = ""  # the signing certificate's issuer
    common_name: str = ""  # the signing certificate's subject CN
    signed_at: str = ""  # the signing time, as the manifest states it
    generator_name: str = ""
    generator_version: str = ""
    actions: tuple[ManifestAction, ...] = ()  # v2 first, then v1
    ingredients: tuple[str, ...] = ()  # the ingredients' titles ("portrait", "audio")
    consent: dict[str, Any] | None = None  # our consent assertion, as stated
    soft_binding: dict[str, Any] | None = None  # {"alg", "value"}
    failure_codes: tuple[str, ...] = ()
    label: str = ""  # the active manifest's urn:c2pa identifier

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ManifestSummary:
        """Read the dict of ``ManifestResult.as_dict()``; anything missing reads as absent."""
        data = _mapping(data)
        signer = _mapping(data.get("signer"))
        generators = _list(data.get("claim_generator"))
        generator = _mapping(generators[0]) if generators else {}
        consent = data.get("consent")
        soft_binding = data.get("soft_binding")
        return cls(
            status=_text(data.get("status")) or _NO_MANIFEST,
            trusted=data.get("trusted") is True,
            signature_valid=data.get("signature_valid") is True,
            signed_by_us=data.get("signed_by_us") is True,
            issuer=_text(signer.get("issuer")),
            common_name=_text(signer.get("common_name")),
            signed_at=_text(signer.get("time")),
            generator_name=_text(generator.get("name")),
            generator_version=_text(generator.get("version")),
            actions=_actions(_mapping(data.get("assertions"))),
            ingredients=tuple(
                _text(_mapping(i).get("title")) for i in _list(data.get("ingredients"))
            ),
            consent=dict(consent) if isinstance(consent, Mapping) else None,
            soft_binding=dict(soft_binding) if isinstance(soft_binding, Mapping) else None,
            failure_codes=tuple(str(c) for c in _list(data.get("failure_codes"))),
            label=_text(data.get("label")),
        )

    @property
    def present(self) -> bool:
        return self.status != _NO_MANIFEST

    @property
    def signed_by(self) -> str:
        """Who signed, in words: the issuer, else the certificate's name."""
        return self.issuer or self.common_name

    @property
    def generator(self) -> str:
        """The claim generator as "name version"."""
        return " ".join(p for p in (self.generator_name, self.generator_version) if p)

    @property
    def created(self) -> ManifestAction | None:
        return next((a for a in self.actions if a.action == "c2pa.created"), None)

    @property
    def source_types(self) -> tuple[str, ...]:
        """Every digital source type the actions state, in order."""
        return tuple(a.digital_source_type for a in self.actions if a.digital_source_type)

    @property
    def digital_source_type(self) -> str:
        """The source type of the creation, else the first one stated."""
        created = self.created
        if created is not None and created.digital_source_type:
            return created.digital_source_type
        return next(iter(self.source_types), "")

    @property
    def ai_generated(self) -> bool:
        """The manifest says a model generated (some of) the media."""
        return any(a.ai_generated for a in self.actions)

    @property
    def model_versions(self) -> dict[str, str]:
        """The models the creation names (``parameters["com.likeness.models"]``, or
        ``parameters.models`` in clips signed before), as stated."""
        parameters = (self.created or ManifestAction("")).parameters
        key = next((k for k in MODELS_PARAMETERS if k in parameters), "")
        models = _mapping(parameters.get(key))
        return {str(k): _text(v) for k, v in models.items()}

    @property
    def soft_binding_value(self) -> str:
        return _text((self.soft_binding or {}).get("value"))


def _actions(assertions: dict[str, Any]) -> tuple[ManifestAction, ...]:
    labels = sorted(
        (label for label in assertions if isinstance(label, str) and _ACTIONS_LABEL.match(label)),
        key=lambda label: (not label.startswith(ACTIONS_LABELS[0]), label),
    )
    return tuple(
        ManifestAction.from_dict(entry)
        for label in labels
        for entry in _list(_mapping(assertions[label]).get("actions"))
        if isinstance(entry, Mapping)
    )
