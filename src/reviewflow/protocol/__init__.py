"""The protocol in the store, versioned: who changed what in it, and when.

The protocol (title, question, the team, screening plans and reasons, highlight terms,
extraction forms, appraisal checklist and scoring, declared counts) in force is the newest
row of ``protocol_versions``: one JSON document, the validated content of review.toml
without ``[database]``, which stays in the file alone because it says where the store is.
Every change appends a version that lists what changed (dotted paths, old and new value),
where it came from and who made it, and brings the store's users and roles in line with the
team (:func:`reviewflow.people.sync_team`).

review.toml is the protocol's readable import/export. A version read from the file or
written to it records the file's sha256, so opening a project tells from one small query
and a hash whether the file still is the protocol (:func:`sync_file`):

- the hash is the newest version's: in sync; the stored protocol is used;
- the file changed and the store did not, since they last matched: the edit is applied as
  a new version (source ``review.toml``) and the command says so, once;
- the store changed (e.g. in the web app) and the file did not: the store is in force and
  the command says how to rewrite the file (``reviewflow protocol export``);
- both changed: nothing is guessed; the error names ``reviewflow protocol import`` (the
  file wins) and ``reviewflow protocol export`` (the store wins).

Opening never writes review.toml. Commands that change the protocol (``plan set``,
``reviewer add``, ``prisma --declare --save``, ``protocol export``) store the change and
edit the file in place with tomlkit (:func:`change`), keeping the team's comments.
"""

from .sync import (
    EXPORT,
    IMPORT,
    NOTHING_APPLIED,
    FileNotApplied,
    ProtocolConflict,
    change,
    export,
    import_file,
    save_declared,
    save_settings,
    sync_file,
    write_config,
)
from .versions import (
    Change,
    Version,
    account,
    current,
    diff,
    document_of,
    history,
    last_synced,
    latest,
    leaf_diff,
    mark_synced,
    save,
    settings_of,
    sha256,
    summary,
    tree_diff,
)

__all__ = [
    "EXPORT",
    "IMPORT",
    "NOTHING_APPLIED",
    "Change",
    "FileNotApplied",
    "ProtocolConflict",
    "Version",
    "account",
    "change",
    "current",
    "diff",
    "document_of",
    "export",
    "history",
    "import_file",
    "last_synced",
    "latest",
    "leaf_diff",
    "mark_synced",
    "save",
    "save_declared",
    "save_settings",
    "settings_of",
    "sha256",
    "summary",
    "sync_file",
    "tree_diff",
    "write_config",
]
