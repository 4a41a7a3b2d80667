"""Thematic synthesis (Thomas & Harden 2008) and GRADE-CERQual on the project store.

findings documents (``sources``) → segments (``segments``) → line-by-line codes
(``codes``) → descriptive and analytical themes, matrix and quotes (``themes``) →
review findings with CERQual confidence (``cerqual``). ``compare`` measures agreement of
coders, ``suggest`` proposes codes and groupings (a person accepts them), ``refi`` exports
the codebook. Pure cores take and return plain data; the store functions take a project.
"""
