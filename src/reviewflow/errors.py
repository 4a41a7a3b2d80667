"""The one error vocabulary of reviewflow.

Every error a user can cause is a :class:`ReviewflowError`; the CLI turns it into a
one-paragraph message on stderr and exit status 1, never a traceback. Anything else that
escapes is a bug in reviewflow.

::

    ReviewflowError            user-facing base: message + the next step to take
    ├── ProjectError           no project here, review.toml invalid, project already exists
    ├── StoreError             the database cannot be opened or migrated
    ├── InputError             a file given to reviewflow cannot be used
    │   ├── ParseError         a record file is malformed (carries file and line)
    │   └── LimitError         a file is past a size, row, column or unzip limit
    ├── DuplicateImportError   the same file (same sha256) was imported before
    ├── NotFoundError          an id (search, record, reviewer, ...) does not exist
    └── StateError             an action is not allowed in the current state
"""

from __future__ import annotations


class ReviewflowError(Exception):
    """An error the user can fix. ``hint`` names the next step to take."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n{self.hint}"
        return self.message


class ProjectError(ReviewflowError):
    """No project, an invalid review.toml, or a project that already exists."""


class StoreError(ReviewflowError):
    """The database cannot be reached, opened or migrated."""


class InputError(ReviewflowError):
    """A file or value given to reviewflow cannot be used."""


class ParseError(InputError):
    """A record file is malformed; names the file and the line."""

    def __init__(
        self, message: str, *, file: str, line: int | None = None, hint: str | None = None
    ) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}", hint=hint)
        self.file = file
        self.line = line
        self.reason = message


class LimitError(InputError):
    """A file past one of the read limits (size, rows, columns, ZIP expansion); the hint
    names the environment variable that raises it (reviewflow.formats.limits)."""


class DuplicateImportError(ReviewflowError):
    """The same file content was imported before."""


class NotFoundError(ReviewflowError):
    """An identifier that does not exist in the project."""


class StateError(ReviewflowError):
    """An action that the current state of the project does not allow."""
