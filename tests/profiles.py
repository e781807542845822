"""The CI profile (.ci/run exports CI=1), against the plain `make test`:

- how many random examples the property tests draw: the full count under `make test`, fewer
  under CI, derandomised there so a CI run is reproducible. Only the number of examples
  changes; every example is checked exactly as locally;
- CI runs the suite twice, on SQLite and on PostgreSQL: the second pass leaves the tests
  marked `same_on_every_database` (checks of the wiring, such as the core's pages with each
  room removed, whose outcome the database's kind does not change) to the first.

The whole suite, every example and every test on both databases, is the plain `make test`
(README, "Tests")."""

import os

from hypothesis import settings as hsettings

CI = bool(os.environ.get("CI"))
# CI's PostgreSQL pass (.ci/run sets EXPECT_DB_VENDOR for it)
SECOND_PASS = CI and os.environ.get("EXPECT_DB_VENDOR") == "postgresql"
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


def second_pass_deselect(config, items) -> None:
    """On CI's PostgreSQL pass, leave out the tests marked same_on_every_database (they ran
    on the SQLite pass of the same CI run); pytest reports them as deselected."""
    if not SECOND_PASS:
        return
    left = [item for item in items if item.get_closest_marker("same_on_every_database")]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = [item for item in items if item not in left]
