"""The one progress callback every long job takes: ``progress(phase, done, total)``.

Jobs call it as they go; ``cli._output.progress_bar`` turns it into a bar on a terminal.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
