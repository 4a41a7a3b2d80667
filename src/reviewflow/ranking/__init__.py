"""Active-learning ranking for title/abstract screening: features, the ranker, simulation,
metrics and the statistical stopping rule. Pure: knows nothing about the store."""

from .features import build_features, record_text
from .metrics import erf, n_at, recall_at, summary, wss
from .model import Ranker
from .simulate import SimulationResult, sample_priors, simulate

__all__ = [
    "Ranker",
    "SimulationResult",
    "build_features",
    "erf",
    "n_at",
    "recall_at",
    "record_text",
    "sample_priors",
    "simulate",
    "summary",
    "wss",
]
