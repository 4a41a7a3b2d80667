"""Active-learning ranking for title/abstract screening: features, the ranker, simulation,
metrics and the statistical stopping rule. Pure: knows nothing about the store."""

from .features import build_char_features, build_features, record_text
from .metrics import erf, n_at, recall_at, summary, wss
from .model import Ranker
from .simulate import SimulationResult, sample_priors, simulate, simulate_file
from .stopping import StoppingState, StopReplay, replay_stopping, stopping_test

__all__ = [
    "Ranker",
    "SimulationResult",
    "StopReplay",
    "StoppingState",
    "build_char_features",
    "build_features",
    "erf",
    "n_at",
    "recall_at",
    "record_text",
    "replay_stopping",
    "sample_priors",
    "simulate",
    "simulate_file",
    "stopping_test",
    "summary",
    "wss",
]
