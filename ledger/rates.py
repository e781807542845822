"""A rate (numerator over denominator) as the assessment and the rooms' figures show it: one
decimal, "—" without a base. Shared by the oversight and feedback rooms through the core."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Rate:
    """numerator / denominator, shown as a percentage with one decimal, "—" without a base."""

    num: int
    den: int

    @property
    def value(self) -> Decimal | None:
        if not self.den:
            return None
        return (Decimal(self.num) * 100 / self.den).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def fraction(self) -> float | None:
        return None if not self.den else self.num / self.den

    def __str__(self):
        value = self.value
        return "—" if value is None else f"{value}%"
