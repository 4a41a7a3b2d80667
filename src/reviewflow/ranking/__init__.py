"""Active-learning ranking for title/abstract screening: features, the ranker, simulation,
metrics and the stopping rules (arrival: a Cox process on the ranking; stopping: the
random-sampling test). Pure: knows nothing about the store."""

from .arrival import ArrivalSettings, ArrivalState, arrival_test, replay_arrival
from .features import build_char_features, build_features, record_text
from .metrics import erf, n_at, recall_at, summary, wss
from .model import Ranker
from .simulate import SimulationResult, sample_priors, simulate, simulate_file
from .stopping import StoppingState, StopReplay, replay_stopping, stopping_test

__all__ = [
    "ArrivalSettings",
    "ArrivalState",
    "Ranker",
    "SimulationResult",
    "StopReplay",
    "StoppingState",
    "arrival_test",
    "build_char_features",
    "build_features",
    "erf",
    "n_at",
    "recall_at",
    "record_text",
    "replay_arrival",
    "replay_stopping",
    "sample_priors",
    "simulate",
    "simulate_file",
    "stopping_test",
    "summary",
    "wss",
]
