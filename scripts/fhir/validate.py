"""Validates FHIR R4 (4.0.1) JSON documents with the `fhir.resources` models (6.4.0, the R4
release line): structure, cardinalities, data types, required elements and unknown elements,
for the Bundle and every resource in it. Exits 1 on the first invalid file.

    validate.py FILE...      prints "<file>: valid Bundle: N Patient, M Observation, ..." for a
                             Bundle, "<file>: valid <Type>" for any other resource
    validate.py --self-check proves the validator rejects what it should (run before trusting it)
"""
import json
import sys
from collections import Counter

from fhir.resources import construct_fhir_element
from fhir.resources.bundle import Bundle


def validate(document):
    """The parsed Bundle; raises on anything the R4 models reject."""
    if document.get("resourceType") != "Bundle":
        raise ValueError(f"expected a Bundle, got {document.get('resourceType')!r}")
    bundle = Bundle.parse_obj(document)
    for entry in bundle.entry or []:
        if entry.resource is None:
            raise ValueError(f"entry {entry.fullUrl} has no resource")
    return bundle


def counts(bundle):
    kinds = Counter(entry.resource.resource_type for entry in bundle.entry or [])
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))


def self_check():
    good = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:0191a6c2-0000-7000-8000-000000000001",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "25836-8"}]},
                    "valueQuantity": {"value": 40, "comparator": "<"},
                },
            }
        ],
    }
    validate(good)
    broken = [
        # An Observation without its required status.
        lambda d: d["entry"][0]["resource"].pop("status"),
        # An element R4 does not have.
        lambda d: d["entry"][0]["resource"].update({"loudness": 3}),
        # A quantity that is not a number.
        lambda d: d["entry"][0]["resource"]["valueQuantity"].update({"value": "forty"}),
        # A date-time that is not one.
        lambda d: d["entry"][0]["resource"].update({"effectiveDateTime": "12/07/2026"}),
    ]
    for i, spoil in enumerate(broken):
        document = json.loads(json.dumps(good))
        spoil(document)
        try:
            validate(document)
        except Exception:
            continue
        raise SystemExit(f"self-check {i}: an invalid Bundle was accepted")
    print("self-check: the validator rejects invalid Bundles")


def main(paths):
    if paths == ["--self-check"]:
        self_check()
        return 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        kind = document.get("resourceType")
        try:
            if kind == "Bundle":
                summary = f"Bundle: {counts(validate(document))}"
            else:
                construct_fhir_element(kind, document)
                summary = kind
        except Exception as e:  # the models' own report names each problem
            print(f"{path}: INVALID\n{e}", file=sys.stderr)
            return 1
        print(f"{path}: valid {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
