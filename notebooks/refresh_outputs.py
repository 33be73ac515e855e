"""Re-execute the analyst notebooks and store their outputs for nbval (run after changing a notebook or the engine).

    .venv/bin/python notebooks/refresh_outputs.py notebooks/01_quick_start.ipynb [...]

Stored outputs are what nbval compares, so they must come from a clean run. Two things are left out to keep the files
small: the plotly.js bundle that ``init_notebook_mode`` prints in each setup cell (4.8 MB; that cell is marked
NBVAL_IGNORE_OUTPUT) and the saved widget state (the plotly FigureWidgets would embed their JavaScript). Each run
has a timeout (notebook-toolchain.md section 7).
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TIMEOUT = 180


def refresh(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        if cell.cell_type == "code" and "init_notebook_mode(" in cell.source:
            cell.outputs = []
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    print(f"{path}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        refresh(Path(arg))
