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

The next step is structured (:class:`NextAction`): the words, the CLI command that takes
it, and (for the web app) the page that does. The CLI prints the command as a
``Next: reviewflow ...`` line, the web app links to the page, and ``to_dict()`` gives
both as JSON. An error raised with only ``hint="... with: reviewflow upgrade"`` gets its
command read from the hint, so every hint that names a command is an action too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class NextAction:
    """What to do after an error.

    ``text`` says it in words; ``command`` is the CLI command that does it (placeholders in
    capitals, e.g. ``reviewflow reviewer add AB``); ``route`` and ``label`` are the web
    app's page for it and the link's words, for the app to fill in as it grows.
    """

    text: str | None = None
    command: str | None = None
    route: str | None = None
    label: str | None = None

    @classmethod
    def from_hint(cls, hint: str) -> NextAction:
        """The hint as an action: its words, and the first ``reviewflow ...`` it names."""
        return cls(text=hint, command=command_in(hint))

    def lines(self) -> list[str]:
        """The action as the CLI prints it: the words, then ``Next: COMMAND`` unless the
        words already show the command."""
        out = [self.text] if self.text else []
        if self.command and (not self.text or self.command not in self.text):
            out.append(f"Next: {self.command}")
        return out

    def to_dict(self) -> dict[str, str | None]:
        """JSON for the web app and ``--json`` output."""
        return {"text": self.text, "command": self.command, "route": self.route,
                "label": self.label}  # fmt: skip


#: A command word (``plan``, ``import-findings``), an option (``--stage``), or a value: a
#: placeholder (``INITIALS``), a number, a quoted string, a file name, ``...``.
_WORD = re.compile(r"[a-z][a-z-]*")
_OPTION = re.compile(r"--?[A-Za-z][\w-]*(=\S+)?")
_VALUE = re.compile(r"""("[^"]*"|'[^']*'|\.\.\.|[A-Z][A-Z0-9_]*|\d+|\S*[./_=:|{}]\S*)""")
_TOKEN = re.compile(r"""("[^"]*"|'[^']*'|\S+)""")


def command_in(text: str) -> str | None:
    """The first ``reviewflow ...`` command a hint names, as written there, or None.

    Read conservatively: the command words (at most two, as in ``fulltext retrieve``),
    then options with their values and placeholder-like arguments, up to the first comma,
    semicolon, bracket, full stop or plain word of the sentence around it. "a reviewflow
    bug" names no command.
    """
    for found in re.finditer(r"(?<![\w-])reviewflow ", text):
        if re.search(r"\b(a|an|the|this|newer|older)\s+$", text[: found.start()], re.I):
            continue
        command = _command_at(text, found.start())
        if command is not None:
            return command
    return None


def _command_at(text: str, start: int) -> str | None:
    base = end = start + len("reviewflow")
    after_option, words = False, 0
    for n, match in enumerate(_TOKEN.finditer(text, base)):
        token = match.group(0)
        if token.startswith(("(", "`")):
            break
        bare = token
        while bare and (bare[-1] in ",;:)`" or (bare[-1] == "." and not bare.endswith("..."))):
            bare = bare[:-1]
        if not bare:
            break
        if after_option:  # the value of the option before, whatever it looks like
            after_option = False
        elif _OPTION.fullmatch(bare):
            after_option = "=" not in bare
        elif n == words < 2 and _WORD.fullmatch(bare):
            words += 1  # a command word: only first, at most two (``fulltext retrieve``)
        elif not _VALUE.fullmatch(bare):
            break
        end = match.start() + len(bare)
        if bare != token:  # punctuation ended the command
            break
    return text[start:end] if words else None


class ReviewflowError(Exception):
    """An error the user can fix; ``next`` (or the older ``hint``) names the next step.

    ``hint`` stays the step in words (``exc.hint``); ``exc.next`` is always the
    structured :class:`NextAction` (or None), derived from the hint when not given.
    """

    def __init__(
        self, message: str, *, hint: str | None = None, next: NextAction | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if next is None and hint:
            next = NextAction.from_hint(hint)
        elif next is not None and hint and next.text is None:
            next = replace(next, text=hint)
        self.next = next
        self.hint = hint if hint is not None else (next.text if next is not None else None)

    def __str__(self) -> str:
        return "\n".join([self.message, *(self.next.lines() if self.next else [])])

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON: its kind, the message and the next action."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "next": self.next.to_dict() if self.next is not None else None,
        }


class ProjectError(ReviewflowError):
    """No project, an invalid review.toml, or a project that already exists."""


class StoreError(ReviewflowError):
    """The database cannot be reached, opened or migrated."""


class InputError(ReviewflowError):
    """A file or value given to reviewflow cannot be used."""


class ParseError(InputError):
    """A record file is malformed; names the file and the line."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int | None = None,
        hint: str | None = None,
        next: NextAction | None = None,
    ) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}", hint=hint, next=next)
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
