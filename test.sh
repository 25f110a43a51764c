#!/usr/bin/env bash
# Run the test suite: installs what is missing (scripts/install.sh), then pytest.
#   ./test.sh                       all tests
#   ./test.sh tests/test_x.py -q    extra arguments go to pytest as they are
# Exits with pytest's exit code; "no tests collected" (pytest's 5) counts as a failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! bash scripts/install.sh; then
    echo "test.sh: installatie mislukt (zie hierboven); geen tests gedraaid" >&2
    exit 1
fi

.venv/bin/pytest "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
    echo "test.sh: pytest heeft geen enkele test verzameld (exit 5): dat telt als mislukt" >&2
fi
exit "$rc"
