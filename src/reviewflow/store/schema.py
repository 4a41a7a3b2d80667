"""Every table of a reviewflow project, in one SQLAlchemy Core MetaData.

Alembic migrations in ``store/migrations/versions`` create these tables; a test checks
that the migrated database and this MetaData agree, so this file is the one schema.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _created_by() -> Column[str]:
    """Who made the row: the initials of the user who acted (see ``store.actor_or``).

    Rows made before reviewflow recorded its users (schema 0009) have NULL. Event tables
    that name their author already (``reviewer``, ``coder``, ``appraiser``) do not have it.
    """
    return Column("created_by", String(20))


#: One row per search run (PRISMA-S) or other identification method.
searches = Table(
    "searches",
    metadata,
    Column("id", Integer, primary_key=True),
    # "database", "register" or one of OTHER_METHODS (citation searching, hand searching, ...)
    Column("method", String(40), nullable=False, server_default="database"),
    Column("source", Text, nullable=False),  # database or source name
    Column("platform", Text),
    Column("searched_with", Text),  # databases searched together in one run
    Column("date_searched", String(10)),  # ISO date
    Column("searcher", Text),
    Column("query", Text),
    Column("limits", Text),
    Column("records_returned", Integer),
    Column("file_name", Text),
    Column("file_format", String(40)),
    Column("file_sha256", String(64)),
    Column("update_of", Integer, ForeignKey("searches.id")),
    Column("notes", Text),
    _created_by(),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: One row per imported file; records point to it.
imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("search_id", Integer, ForeignKey("searches.id")),
    Column("file_name", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("format", String(40), nullable=False),
    Column("encoding", String(40)),
    Column("records_read", Integer, nullable=False),
    Column("warnings", JSON, nullable=False),
    Column("forced", Boolean, nullable=False, server_default=false()),
    _created_by(),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)
Index("ix_imports_sha256", imports.c.file_sha256)

#: Append-only history of what was done to imports afterwards: "link" (attached to a
#: search, or moved from another) and "remove" (a mistaken import deleted with everything
#: that depended on its records). ``import_id`` is not a foreign key: a removed import's
#: row is gone, its history stays. ``details`` of a removal holds the counts of what went.
import_events = Table(
    "import_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", Integer, nullable=False),
    Column("action", String(10), nullable=False),  # link | remove
    Column("file_name", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("search_id", Integer),  # link: the search now; remove: the search it had
    Column("previous_search_id", Integer),  # link: the search it had before
    Column("details", JSON, nullable=False),
    Column("reviewer", String(20)),
    Column("account", Text),  # the computer account that ran the command
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_import_events_import", import_events.c.import_id)

#: Records in the canonical shape, plus the raw text and its provenance.
records = Table(
    "records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", Integer, ForeignKey("imports.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),  # 0-based order within the file
    Column("source_file", Text),
    Column("source_line", Integer),
    Column("title", Text),
    Column("abstract", Text),
    Column("authors", JSON, nullable=False),
    Column("year", Integer),
    Column("source_title", Text),
    Column("volume", Text),
    Column("issue", Text),
    Column("pages", Text),
    Column("doi", Text),
    Column("pmid", Text),
    Column("issn", Text),
    Column("isbn", Text),
    Column("keywords", JSON, nullable=False),
    Column("language", Text),
    Column("publication_type", Text),
    Column("url", Text),
    Column("accession_number", Text),
    Column("extra", JSON, nullable=False),
    Column("raw", Text, nullable=False),
)
Index("ix_records_import", records.c.import_id)
Index("ix_records_doi", records.c.doi)

# -- deduplication ---------------------------------------------------------------------

#: One row per dedup run: what was compared, with which policy, what came out.
dedup_runs = Table(
    "dedup_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    _created_by(),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("records_considered", Integer, nullable=False),
    Column("summary", JSON, nullable=False),
)

#: Append-only link events: a record becomes (or stops being) a duplicate of a canonical
#: record. The current links are the latest event per record; nothing is ever deleted.
duplicate_links = Table(
    "duplicate_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("record_id", Integer, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("canonical_id", Integer, ForeignKey("records.id", ondelete="CASCADE")),
    Column("action", String(10), nullable=False),  # "link" | "unlink"
    Column("method", String(10), nullable=False),  # "auto" | "person"
    Column("rule", Text),
    Column("scores", JSON, nullable=False),
    Column("reviewer", String(20)),
    Column("run_id", Integer, ForeignKey("dedup_runs.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_duplicate_links_record", duplicate_links.c.record_id, duplicate_links.c.id)

#: Pairs a person must look at (uncertain, or related-but-different by policy).
dedup_pairs = Table(
    "dedup_pairs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("record_a", Integer, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("record_b", Integer, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("category", String(40), nullable=False),  # "uncertain" or a policy category
    Column("queued", Boolean, nullable=False),  # True: a person must decide it
    Column("rule", Text),
    Column("scores", JSON, nullable=False),
    Column("run_id", Integer, ForeignKey("dedup_runs.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_dedup_pairs_ab", dedup_pairs.c.record_a, dedup_pairs.c.record_b)

#: Append-only decisions of people on pairs ("duplicate" / "not duplicate").
dedup_decisions = Table(
    "dedup_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("record_a", Integer, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("record_b", Integer, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("decision", String(20), nullable=False),  # "duplicate" | "not_duplicate"
    Column("reviewer", String(20)),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_dedup_decisions_ab", dedup_decisions.c.record_a, dedup_decisions.c.record_b)

# -- screening -------------------------------------------------------------------------

#: Append-only screening decisions. ``item_id`` is a record id at title/abstract ("ta") and
#: a report id at full text ("ft"). A reviewer's current vote on an item is their latest
#: event; "withdrawn" takes a vote back (undo). ``role`` is "screen" or "arbiter".
screening_decisions = Table(
    "screening_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stage", String(10), nullable=False),
    Column("item_id", Integer, nullable=False),
    Column("reviewer", String(20), nullable=False),
    Column("decision", String(10), nullable=False),  # include | exclude | maybe | withdrawn
    Column("reason", Text),
    Column("note", Text),
    Column("role", String(10), nullable=False),  # screen | arbiter
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_screening_decisions_stage", screening_decisions.c.stage, screening_decisions.c.item_id)

#: Append-only stage events: "close" lifts blindness and freezes a stage, "reopen" undoes it;
#: "unblind" lifts blindness alone (an owner's choice), "blind" restores it.
screening_stage_events = Table(
    "screening_stage_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stage", String(10), nullable=False),
    Column("action", String(10), nullable=False),  # close|reopen, stop|resume, blind|unblind, plan
    Column("reviewer", String(20)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("details", JSON),  # "plan": the assignment settings screening started under
)

#: What is included: a study groups one or more reports.
studies = Table(
    "studies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("label", Text),
    _created_by(),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: A document assessed in full text, created from a record that passed title/abstract.
reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("record_id", Integer, ForeignKey("records.id", ondelete="CASCADE")),
    Column("study_id", Integer, ForeignKey("studies.id"), nullable=False),
    Column("kind", String(40)),  # main | protocol | follow-up | ... (free text)
    _created_by(),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_reports_record", reports.c.record_id)

#: Append-only full-text retrieval events; the latest per report is its status.
retrieval_events = Table(
    "retrieval_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(20), nullable=False),  # sought | retrieved | not_retrieved
    Column("file_name", Text),
    Column("file_sha256", String(64)),
    Column("file_path", Text),  # attached from (provenance); older rows: files/<sha256>.<ext>
    Column("reason", Text),  # why not retrieved
    Column("reviewer", String(20)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_retrieval_events_report", retrieval_events.c.report_id, retrieval_events.c.id)

# -- synthesis -------------------------------------------------------------------------

#: A findings document of a study (text, Markdown, DOCX or PDF), restricted to the sections
#: the reviewer marked as results/findings; its segments point to it.
synthesis_sources = Table(
    "synthesis_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", Integer, ForeignKey("studies.id"), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("format", String(10), nullable=False),  # text | markdown | docx | pdf
    Column("sections", JSON, nullable=False),  # headings of the sections kept
    Column("text", Text, nullable=False),  # the kept text; segment offsets index into it
    _created_by(),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: A line/sentence of findings text. ``key`` is stable across re-imports of the same text;
#: ``kind`` and ``in_scope`` are as detected (corrections are segment_flag_events).
segments = Table(
    "segments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("synthesis_sources.id"), nullable=False),
    Column("study_id", Integer, ForeignKey("studies.id"), nullable=False),
    Column("key", String(40), nullable=False),
    Column("position", Integer, nullable=False),
    Column("page", Integer),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("kind", String(10), nullable=False),  # author | quote
    Column("in_scope", Boolean, nullable=False),
    Column("section", Text),
)
Index("ix_segments_study", segments.c.study_id, segments.c.position)

#: Append-only corrections of a segment's kind or scope by a reviewer; the latest wins.
segment_flag_events = Table(
    "segment_flag_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("segment_id", Integer, ForeignKey("segments.id"), nullable=False),
    Column("field", String(10), nullable=False),  # kind | in_scope
    Column("value", String(10), nullable=False),
    Column("reviewer", String(20)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Append-only memos on a segment (what a coder noticed there); the latest per segment is
#: current, an empty memo clears it, and the earlier ones are its history.
segment_memos = Table(
    "segment_memos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("segment_id", Integer, ForeignKey("segments.id"), nullable=False),
    Column("memo", Text, nullable=False),
    Column("reviewer", String(20)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_segment_memos_segment", segment_memos.c.segment_id, segment_memos.c.id)

#: The code bank (free codes, or a tree through ``parent_id``). The row is the current
#: state; every change is also a code_events row, so the history can be read back.
codes = Table(
    "codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("memo", Text),  # definition memo
    Column("parent_id", Integer, ForeignKey("codes.id")),
    Column("active", Boolean, nullable=False),  # False once merged away or split
    _created_by(),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Append-only history of the code bank: create, rename, memo, move, merge, split.
code_events = Table(
    "code_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code_id", Integer, ForeignKey("codes.id"), nullable=False),
    Column("action", String(10), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("reviewer", String(20)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_code_events_code", code_events.c.code_id, code_events.c.id)

#: A coder applies a code to a segment (or a character span of it). Rows are never
#: deleted: removal, merge and split set ``removed_at`` and say why.
code_applications = Table(
    "code_applications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("segment_id", Integer, ForeignKey("segments.id"), nullable=False),
    Column("code_id", Integer, ForeignKey("codes.id"), nullable=False),
    Column("coder", String(20), nullable=False),
    Column("span_start", Integer),  # offsets within the segment text; None = whole segment
    Column("span_end", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("removed_at", DateTime(timezone=True)),
    Column("removed_reason", Text),
)
Index("ix_code_applications_segment", code_applications.c.segment_id)
Index("ix_code_applications_code", code_applications.c.code_id)

#: Descriptive themes group codes; analytical themes group descriptive themes (parent_id).
#: ``reported_studies`` keeps a published statement (e.g. the seed's reference list) apart
#: from the matrix, which is always derived from code applications.
themes = Table(
    "themes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(12), nullable=False),  # descriptive | analytical
    Column("label", String(20)),  # "1", "1.3", ...
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("parent_id", Integer, ForeignKey("themes.id")),
    Column("reported_studies", JSON),
    _created_by(),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Which codes a descriptive theme groups.
theme_codes = Table(
    "theme_codes",
    metadata,
    Column("theme_id", Integer, ForeignKey("themes.id"), primary_key=True),
    Column("code_id", Integer, ForeignKey("codes.id"), primary_key=True),
    _created_by(),
)

#: Supporting quotes of a theme, with their study and page.
theme_quotes = Table(
    "theme_quotes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("theme_id", Integer, ForeignKey("themes.id"), nullable=False),
    Column("study_id", Integer, ForeignKey("studies.id"), nullable=False),
    Column("segment_id", Integer, ForeignKey("segments.id")),
    Column("text", Text, nullable=False),
    Column("page", Integer),
    _created_by(),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: GRADE-CERQual review findings, each summarising one or more themes.
cerqual_findings = Table(
    "cerqual_findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("label", String(20)),
    Column("statement", Text, nullable=False),
    Column("theme_ids", JSON, nullable=False),
    _created_by(),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Append-only CERQual judgements: one component (or "overall") of one finding, with its
#: explanation; the latest per (finding, component) is current.
cerqual_judgements = Table(
    "cerqual_judgements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("finding_id", Integer, ForeignKey("cerqual_findings.id"), nullable=False),
    Column("component", String(30), nullable=False),
    Column("level", String(20), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("reviewer", String(20)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_cerqual_judgements_finding", cerqual_judgements.c.finding_id, cerqual_judgements.c.id)

# -- extraction and appraisal ------------------------------------------------------------

#: Every version of an extraction form ever used, with its full TOML text, so answers given
#: on an old version stay readable after the form file is revised. Never updated.
extraction_forms = Table(
    "extraction_forms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("form_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("definition", Text, nullable=False),  # the form file's TOML text
    Column("changes", Text),
    _created_by(),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("form_id", "version", name="uq_extraction_forms_form_id_version"),
)

#: Append-only extraction events on one study and form version: "extract" (a reviewer's
#: answers; ``pilot`` marks pilot extractions), "verify" (a second reviewer checks the
#: extraction of ``of_reviewer`` field by field) and "resolve" (agreed values of
#: discrepancies). The latest event of a kind per (study, version, reviewer) is current.
extraction_events = Table(
    "extraction_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", Integer, ForeignKey("studies.id"), nullable=False),
    Column("form_id", String(100), nullable=False),
    Column("form_version", Integer, nullable=False),
    Column("action", String(10), nullable=False),  # extract | verify | resolve
    Column("reviewer", String(20), nullable=False),
    Column("of_reviewer", String(20)),  # verify/resolve: whose extraction
    Column("pilot", Boolean, nullable=False, server_default=false()),
    Column("source", Text),  # e.g. the imported spreadsheet's file name
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_extraction_events_study", extraction_events.c.study_id, extraction_events.c.id)

#: The field values of an extraction event. ``verdict``: answer (extract), agree or
#: propose (verify), resolve (resolve). ``value`` is JSON text; NULL means empty.
extraction_values = Table(
    "extraction_values",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "event_id", Integer, ForeignKey("extraction_events.id", ondelete="CASCADE"), nullable=False
    ),
    Column("field", String(100), nullable=False),
    Column("verdict", String(10), nullable=False),
    Column("value", Text),
    Column("note", Text),
)
Index("ix_extraction_values_event", extraction_values.c.event_id)

#: Append-only appraisals: ``kind`` "independent" (one appraiser's answers) or "consensus"
#: (agreed answers, with the ``resolutions`` of disagreements). The latest per (study,
#: checklist, kind, appraiser) is current; scores and bands are derived, never stored.
appraisals = Table(
    "appraisals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", Integer, ForeignKey("studies.id"), nullable=False),
    Column("checklist_id", String(100), nullable=False),
    Column("checklist_version", String(40)),
    Column("kind", String(12), nullable=False),  # independent | consensus
    Column("appraiser", String(20), nullable=False),
    Column("answers", JSON, nullable=False),  # item id -> option id
    Column("notes", JSON, nullable=False),  # item id -> note
    Column("resolutions", JSON),  # consensus: item id -> agreed option id
    Column("source", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_appraisals_study", appraisals.c.study_id, appraisals.c.id)

# -- people, protocol and files ---------------------------------------------------------

#: The people of the project. ``initials`` is how every event names its author (the
#: ``reviewer``/``coder``/``appraiser`` columns hold them), so it is unique and never
#: reused; a removed member keeps their row and their decisions.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("initials", String(20), nullable=False, unique=True),
    Column("name", Text, nullable=False, server_default=""),
    Column("email", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Append-only role grants and revocations (owner | reviewer | arbiter | viewer); a
#: member's roles now are the grants not revoked since. ``by`` is who changed it.
membership_events = Table(
    "membership_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("role", String(10), nullable=False),
    Column("action", String(10), nullable=False),  # grant | revoke
    Column("by", String(20)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_membership_events_user", membership_events.c.user_id, membership_events.c.id)

#: Every version of the protocol (plans, reasons, highlight terms, forms, checklist and
#: scheme, declared counts, ...) as one JSON document; the newest is in force. ``source``
#: says where a change came from (init, review.toml edited by hand, a command, the web
#: app, protocol import); ``changes`` lists what changed, for the history.
#: ``file_sha256`` is the review.toml text this version was read from or written to, so
#: a later hand edit is noticed.
protocol_versions = Table(
    "protocol_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False, unique=True),
    Column("document", JSON, nullable=False),
    Column("source", String(20), nullable=False),
    Column("changes", JSON, nullable=False),
    Column("file_sha256", String(64)),
    Column("changed_by", String(20)),
    Column("account", Text),  # the computer account that ran the command
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Files kept in the content-addressed blob store (full texts, findings documents), by
#: sha256; the bytes live in the store (a folder by default), this row says what they are.
blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("media_type", String(100)),
    Column("file_name", Text),
    Column("created_by", String(20)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# -- accounts for the team web app ---------------------------------------------------------

#: A user's password for the web app, as an argon2 hash (never the password). ``stamp``
#: is a random value replaced on every password change: a web session carries it, so
#: sessions opened before a change are refused. A user without a row cannot log in.
credentials = Table(
    "credentials",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("stamp", Text, nullable=False),
    Column("changed_by", String(20)),  # who set it: the user, or an owner at the terminal
)

#: Links an owner sends to let someone join the team. Only the sha256 of the link's token
#: is kept, so reading the database gives no usable link. ``roles`` is a comma list; an
#: invitation is used once (``used_at``/``used_by``), may be revoked, and expires.
invitations = Table(
    "invitations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("email", Text),
    Column("name", Text, nullable=False, server_default=""),
    Column("roles", Text, nullable=False),
    Column("created_by", String(20)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("used_by", String(20)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_by", String(20)),
)

#: Heavy work as jobs (import, dedup, features, report, simulation): the queue's one
#: source of truth, read by the pages and ``reviewflow jobs``. A row is the state of one
#: piece of work, not a review decision, so it is updated in place: status queued ->
#: running -> done | failed | cancelled (a stale running job goes back to queued, or to
#: failed after its attempts). ``heartbeat_at`` is renewed by the running worker;
#: ``cancel_requested_at`` is how a person asks it to stop.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("params", JSON, nullable=False),
    Column("status", String(10), nullable=False),  # queued|running|done|failed|cancelled
    Column("phase", Text),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("message", Text),  # what it did, or what went wrong and what to do
    Column("result", JSON),
    Column("created_by", String(20)),  # who asked for it
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("cancel_requested_at", DateTime(timezone=True)),
    Column("cancel_requested_by", String(20)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("worker", Text),
)
Index("ix_jobs_status", jobs.c.status, jobs.c.id)
