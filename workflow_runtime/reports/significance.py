"""Which variant of an A/B/n split converts best, and how sure we can be of it.

The test is the pooled two-proportion z-test of the best variant against the runner-up;
its two-sided p-value is `erfc(|z| / √2)`. With two variants this is exactly Pearson's
chi-square test of the 2×2 table (z² = χ²) that scipy's `chi2_contingency(correction=False)`
computes, so the standard library's `math.erfc` gives the same figure without a 40 MB
dependency. With more variants the best one is compared with the runner-up (which it must
beat to beat all the others), and the p-value is Bonferroni-adjusted for the k − 1
comparisons a post-hoc choice of "best" implies. A winner is named once p < 0.05.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SIGNIFICANT = 0.05


@dataclass(frozen=True)
class Arm:
    """One variant: how many runs took it and how many of them converted."""

    port: str
    entered: int
    converted: int

    @property
    def rate(self) -> float:
        """The conversion rate, 0 when nothing entered."""
        return self.converted / self.entered if self.entered else 0.0


def two_proportion_p_value(converted_a: int, entered_a: int, converted_b: int, entered_b: int) -> float:
    """The two-sided p-value that two conversion rates differ (pooled z-test); 1.0 when it cannot tell."""
    if entered_a <= 0 or entered_b <= 0:
        return 1.0
    pooled = (converted_a + converted_b) / (entered_a + entered_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / entered_a + 1 / entered_b))
    if spread == 0:
        return 1.0  # nobody or everybody converted: no difference to see
    z = (converted_a / entered_a - converted_b / entered_b) / spread
    return math.erfc(abs(z) / math.sqrt(2))


def compare(arms: Sequence[Arm]) -> tuple[str | None, float | None]:
    """(winner port or None, p-value or None): the best arm against the runner-up, Bonferroni-adjusted."""
    if len(arms) < 2 or any(arm.entered == 0 for arm in arms):
        return None, None
    ranked = sorted(arms, key=lambda arm: arm.rate, reverse=True)
    best, runner_up = ranked[0], ranked[1]
    p_value = two_proportion_p_value(best.converted, best.entered, runner_up.converted, runner_up.entered)
    p_value = min(1.0, p_value * (len(arms) - 1))
    winner = best.port if p_value < SIGNIFICANT and best.rate > runner_up.rate else None
    return winner, p_value
