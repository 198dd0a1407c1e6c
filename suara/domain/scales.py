"""Question kinds and their scales: the bounds every answer is validated against."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """A numeric answer scale; `higher_is_better` says which end is the good experience."""

    low: int
    high: int
    higher_is_better: bool = True

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high and float(value).is_integer()


# NPS 0-10 likelihood to recommend; CSAT 1-5 satisfaction; CES 1-7 agreement that it was easy (higher is easier) or
# 1-5 effort it took (lower is better); attitudinal 1-5 agreement that it met expectations; repurchase 1-5 likelihood of
# buying again in the next 30 days; rating 1-5 stars.
SCALES: dict[str, Scale] = {
    "nps": Scale(0, 10),
    "csat": Scale(1, 5),
    "ces": Scale(1, 7),
    "ces_effort": Scale(1, 5, higher_is_better=False),
    "attitudinal": Scale(1, 5),
    "repurchase": Scale(1, 5),
    "rating": Scale(1, 5),
}

# Kinds whose answer is text, not a number.
TEXT_KINDS = frozenset({"comment", "text"})
CHOICE_KINDS = frozenset({"choice"})
QUESTION_KINDS = frozenset(SCALES) | TEXT_KINDS | CHOICE_KINDS
