"""Pipeline stages: one module per stage, a pure core plus a function that runs it on a project."""
