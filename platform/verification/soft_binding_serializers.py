"""The Soft Binding Resolution API's parameters and bodies, named and shaped as its OpenAPI
document names them (``c2pa.softBindingQuery``, ``c2pa.softBindingQueryResult``,
``c2pa.softBindingAlgList``) with its camelCase field names, so /api/schema/ describes what
the specification describes."""

from __future__ import annotations

from rest_framework import serializers

ALG_HELP = (
    "A string identifying the soft binding algorithm and version of that algorithm, as named "
    "by GET /services/supportedAlgorithms (see "
    "https://github.com/c2pa-org/softbinding-algorithm-list)."
)
VALUE_HELP = (
    "A base64-encoded string describing, in algorithm specific format, the value of the soft "
    "binding to be used as the query (ours: the 8-byte content id)."
)


class MaxResultsQuery(serializers.Serializer):
    maxResults = serializers.IntegerField(
        min_value=1,
        default=10,
        help_text="The maximum number of manifest identifiers to return for the query.",
    )


class ByBindingQuery(MaxResultsQuery):
    value = serializers.CharField(help_text=VALUE_HELP)
    alg = serializers.CharField(help_text=ALG_HELP)


class ByContentQuery(MaxResultsQuery):
    alg = serializers.CharField(
        required=False,
        help_text=f"{ALG_HELP} Optional: without it, every kind of evidence this service has "
        "is used.",
    )
    hintAlg = serializers.CharField(
        required=False,
        help_text="An additional soft binding algorithm name to aid the resolution (accepted; "
        "this service resolves by the asset itself).",
    )
    hintValue = serializers.CharField(
        required=False, help_text="The soft binding value for hintAlg."
    )


class ManifestQuery(serializers.Serializer):
    returnActiveManifest = serializers.BooleanField(
        default=False,
        help_text="Only the active manifest (a store holding it alone); by default the whole "
        "C2PA Manifest Store.",
    )


class SoftBindingQuery(serializers.Serializer):
    alg = serializers.CharField(help_text=ALG_HELP)
    value = serializers.CharField(help_text=VALUE_HELP)

    class Meta:
        ref_name = "c2pa.softBindingQuery"


class SoftBindingMatch(serializers.Serializer):
    manifestId = serializers.CharField(
        help_text="Unique identifier of a matched C2PA Manifest; GET /manifests/{manifestId} "
        "serves it (no endpoint is given: this same service)."
    )
    endpoint = serializers.CharField(required=False)
    similarityScore = serializers.IntegerField(
        min_value=0, max_value=100, required=False, help_text="0 (weakest) to 100 (exact)."
    )

    class Meta:
        ref_name = "c2pa.softBindingMatch"


class SoftBindingQueryResult(serializers.Serializer):
    matches = SoftBindingMatch(many=True)

    class Meta:
        ref_name = "c2pa.softBindingQueryResult"


class SoftBindingAlg(serializers.Serializer):
    alg = serializers.CharField()

    class Meta:
        ref_name = "c2pa.softBindingAlg"


class SoftBindingAlgList(serializers.Serializer):
    watermarks = SoftBindingAlg(many=True)
    fingerprints = SoftBindingAlg(many=True)

    class Meta:
        ref_name = "c2pa.softBindingAlgList"
