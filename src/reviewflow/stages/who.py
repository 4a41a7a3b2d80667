"""Who acts: every stage function names the acting person with one keyword, ``reviewer``.

The screener, appraiser, coder, verifier and arbiter are all ``reviewer=`` (the tables keep
their own column names: ``appraiser``, ``coder``, ...). Left out, it is the actor of the
open session, so inside ``with project.session(actor="MC"):`` a call need not repeat "MC";
an explicit ``reviewer`` wins (an owner recording a colleague's sheet). Where a person
must be named (a vote, an appraisal, a coding), :func:`acting` refuses to guess.
"""

from __future__ import annotations

from ..errors import InputError, NextAction
from ..store import actor_or


def acting(reviewer: str | None, *, doing: str) -> str:
    """``reviewer`` if given, else the open session's actor; a clear error if neither.

    ``doing`` completes "who is ...?" in the message, e.g. "recording this decision".
    """
    who = actor_or(reviewer)
    if who:
        return who
    raise InputError(
        f"who is {doing}? Name them with reviewer=INITIALS, or do it in their session",
        next=NextAction(
            text='e.g. with project.session(actor="AB"): ... (on the command line: --reviewer AB)'
        ),
    )
