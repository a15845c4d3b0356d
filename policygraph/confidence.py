"""Calibrated confidence: the probability that a returned rule is in the right policy area.

A rule's `confidence` is the probability that its category is what the content is about, as the
labelled answer names it (for a violation, the policy it violates; for news or counter-speech, the
policy whose exception is in doubt). It is a logistic model over what the engine knows about the rule
for this content: the probability of its category, the probability that the content violates at all,
its similarity score, whether it is the first rule, whether an exception is in doubt. The
coefficients are fitted by `python -m policygraph.eval.calibrate` on the *fit* halves of the dev set and MultiJail
only (never on Multilingual HateCheck, never on a report half) and stored beside this module in
`confidence.json`; the eval harness reports the reliability diagram and the expected calibration
error on the report halves. Re-run the calibration after changing the corpus, the labelled examples
or the weights.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

FEATURES = ("p_category", "p_violating", "score", "first", "exception_in_doubt")
DEFAULT_PATH = Path(__file__).with_name("confidence.json")


@dataclass(frozen=True)
class ConfidenceModel:
    @dataclass(frozen=True)
    class Config:
        coef: tuple[float, ...] = (4.0, 2.0, 0.0, 1.0, -0.5)
        intercept: float = -4.0
        #: where the coefficients came from (data, split, date); shown by `policygraph stats`
        fitted_on: str = "not fitted: hand-set defaults"
        notes: dict = field(default_factory=dict)

    config: Config = Config()

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> ConfidenceModel:
        """The fitted model, or the hand-set defaults when the file is missing or unreadable."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(cls.Config(coef=tuple(float(x) for x in raw["coef"]), intercept=float(raw["intercept"]),
                                  fitted_on=str(raw.get("fitted_on", "")), notes=dict(raw.get("notes") or {})))
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def probability(self, features: tuple[float, ...]) -> float:
        z = self.config.intercept + sum(c * x for c, x in zip(self.config.coef, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    def save(self, path: Path = DEFAULT_PATH) -> None:
        payload = {"features": list(FEATURES), "coef": [round(c, 6) for c in self.config.coef],
                   "intercept": round(self.config.intercept, 6), "fitted_on": self.config.fitted_on,
                   "notes": self.config.notes}
        path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def features(p_category: float, p_violating: float, score: float, first: bool, exception_in_doubt: bool
             ) -> tuple[float, ...]:
    return (float(p_category), float(p_violating), float(score), 1.0 if first else 0.0,
            1.0 if exception_in_doubt else 0.0)
