"""Pipeline stages: one package per stage, its pure core and its project runner side by side.

A pure core takes and returns plain values (no database); a runner runs it on a project
(reads the store, records the result as events). Where a stage's core is a package of
modules of its own (dedup, extraction, appraisal), its runner is ``project.py`` beside
them; screening and synthesis are runners throughout, with a few pure modules (marked
below). The CLI, the web app and the demo call these same functions::

    stages/
      searches/        the search log (PRISMA-S)
      importing/       __init__ (import a file), changes (link or remove an import),
                       exporting (records as RIS/CSV)
      dedup/           pure: pipeline (find_duplicates), normalise, journal, block, compare,
                       decide, cluster, policy; project (run, queue, decisions, undo),
                       links (the one owner of duplicate links), sheet (the queue as CSV)
      screening/       title/abstract and full-text screening: plan, assign, state,
                       decisions, conflicts, counts, agreement_run, prioritise, session,
                       sheets, which, highlight (pure), fulltext (the reports screened)
      retrieval/       __init__ (attach a full text or record why not), folder (many files)
      studies.py       the one owner of studies: labels, inclusion, lookup
      extraction/      pure: forms, values, checks, agreement, verify, xlsx;
                       project (record, pilot, verify, resolve), sheets (spreadsheets)
      appraisal/       pure: checklists, scoring, consensus; project (appraisals, consensus)
      synthesis/       pure: sources, segments; codes, codings, themes, compare,
                       suggest, refi, cerqual
      status.py        records per search, import and stage

Statistics shared by several stages are :mod:`reviewflow.agreement`; the seed review's
data and checks are :mod:`reviewflow.demo`.
"""
