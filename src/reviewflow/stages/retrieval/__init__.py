"""Full-text retrieval: attach the full text of each report, or record why it was not
obtained. ``folder`` attaches a folder of files at once, matching each to its report."""
