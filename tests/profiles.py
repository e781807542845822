"""How many random examples the property tests draw: the full count under `make test`, fewer
under CI (.ci/run exports CI=1), derandomised there so a CI run is reproducible. Only the
number of examples changes; every example is checked exactly as locally. The nightly/full
count is the plain `make test` (README, "Tests")."""

import os

from hypothesis import settings as hsettings

CI = bool(os.environ.get("CI"))
# CI draws this share of a test's full count (at least 2 examples)
CI_DIVISOR = 3

# under CI every test without settings of its own is derandomised too (a failure found there
# is found again on the next run); locally Hypothesis's defaults stand
hsettings.register_profile("zz_ci", derandomize=True, database=None)
if CI:
    hsettings.load_profile("zz_ci")


def examples(full: int) -> int:
    """`full` locally; under CI a third of it (at least 2)."""
    return max(2, full // CI_DIVISOR) if CI else full
