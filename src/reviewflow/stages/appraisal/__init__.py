"""Quality appraisal, the pure core: checklists as data, scoring schemes, agreement, consensus.

No database here; the per-study workflow on the store (:mod:`.project`) calls these
functions. Modules: ``checklists`` (load checklist files, Appraisal), ``scoring`` (schemes,
bands, scores), ``consensus`` (item agreement of two appraisers, consensus appraisal). The
seed review's appraisals are :mod:`reviewflow.demo.appraisal`.
"""

from reviewflow.stages.appraisal.checklists import (
    Appraisal,
    Checklist,
    builtin_checklist,
    builtin_checklists,
    load_checklist,
    make_appraisal,
)
from reviewflow.stages.appraisal.consensus import appraisal_agreement, consensus, disagreements
from reviewflow.stages.appraisal.scoring import Band, Score, ScoringScheme, scheme, score

__all__ = [
    "Appraisal",
    "Band",
    "Checklist",
    "Score",
    "ScoringScheme",
    "appraisal_agreement",
    "builtin_checklist",
    "builtin_checklists",
    "consensus",
    "disagreements",
    "load_checklist",
    "make_appraisal",
    "scheme",
    "score",
]
