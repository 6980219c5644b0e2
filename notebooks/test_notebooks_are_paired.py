"""Each notebook's .ipynb and its percent-format .py (what review reads) hold the same cells."""

from pathlib import Path

import jupytext
import pytest

HERE = Path(__file__).parent
NOTEBOOKS = sorted(HERE.glob("[0-9]*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_notebook_and_its_script_have_the_same_cells(notebook):
    script = notebook.with_suffix(".py")
    assert script.exists(), f"{script.name} is missing: run jupytext --sync {notebook.name}"
    from_ipynb = jupytext.writes(jupytext.read(notebook), fmt="py:percent")
    from_py = jupytext.writes(jupytext.read(script), fmt="py:percent")
    assert from_ipynb == from_py, f"out of sync: run jupytext --sync {notebook.name}"
