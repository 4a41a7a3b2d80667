"""Data extraction, the pure core: forms as data, answers, pilot agreement, verification.

No database here: the per-study workflow on the store (:mod:`.project`, spreadsheets in
:mod:`.sheets`) calls these functions and records what they return as events. Modules:
``forms`` (Form/Field from TOML, validation, versions), ``values`` (coerce/format/compare
one answer; NOT_REPORTED), ``checks`` (consistency warnings), ``agreement`` (pilot),
``verify`` (discrepancies, resolution, history), ``xlsx`` (template round trip). The seed
review's extraction data are :mod:`reviewflow.demo.extraction`.
"""

from reviewflow.stages.extraction.checks import ConsistencyWarning, check_consistency
from reviewflow.stages.extraction.forms import (
    FIELD_TYPES,
    Extraction,
    Field,
    Form,
    builtin_form,
    builtin_forms,
    check_answers,
    load_form,
    loads_form,
    make_extraction,
    migrate_answers,
    validate_answers,
)
from reviewflow.stages.extraction.values import NOT_REPORTED, FieldValueError, Row, coerce

__all__ = [
    "FIELD_TYPES",
    "NOT_REPORTED",
    "ConsistencyWarning",
    "Extraction",
    "Field",
    "FieldValueError",
    "Form",
    "Row",
    "builtin_form",
    "builtin_forms",
    "check_answers",
    "check_consistency",
    "coerce",
    "load_form",
    "loads_form",
    "make_extraction",
    "migrate_answers",
    "validate_answers",
]
