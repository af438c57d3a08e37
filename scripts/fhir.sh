#!/usr/bin/env bash
# The FHIR R4 validator: Python `fhir.resources` 6.4.0 (the R4 4.0.1 models) in its own
# virtualenv, outside the clone. Prints the virtualenv's python; checks the validator rejects
# invalid Bundles before anything trusts it.
#   scripts/fhir.sh                 -> path of the python to run scripts/fhir/validate.py with
#   scripts/fhir.sh FILE...         -> validates the files
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${HOSPITALLINK_FHIR_VENV:-$HOME/.cache/hospitallink/fhir-venv}"
PINS=("fhir.resources==6.4.0" "pydantic==1.10.27")
installed() {
  "$VENV/bin/python" -c 'import fhir.resources, pydantic; assert fhir.resources.__version__ == "6.4.0" and pydantic.VERSION == "1.10.27"' 2>/dev/null
}
if ! installed; then
  # Test runs side by side may both get here first: one installs, the other waits for it.
  mkdir -p "$(dirname "$VENV")"
  exec 9>"$VENV.lock"
  flock 9
  if ! installed; then
    echo "==> installing the FHIR validator (${PINS[*]}) into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}" >&2
  fi
  flock -u 9
fi
"$VENV/bin/python" "$ROOT/scripts/fhir/validate.py" --self-check >&2
if [ "$#" -eq 0 ]; then
  echo "$VENV/bin/python"
else
  "$VENV/bin/python" "$ROOT/scripts/fhir/validate.py" "$@"
fi
