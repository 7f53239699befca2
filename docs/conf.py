"""Sphinx configuration of the qutip-twa documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
The tutorials (``tutorials/*.py``, jupytext percent format, linked here as
``docs/tutorials``) are executed during the build; set
``QUTIP_TWA_TUTORIAL_QUICK=1`` to run them at reduced size, as CI does.
"""

import os

import qutip_twa

project = "qutip-twa"
author = "the qutip-twa developers"
copyright = "2026, the qutip-twa developers"
release = version = qutip_twa.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]

exclude_patterns = ["_build", "conf.py", "tutorials/figures",
                    "tutorials/run_all.py", "tutorials/README.md"]
myst_enable_extensions = ["dollarmath"]

# Tutorials are jupytext percent-format scripts, executed at every build.
nb_custom_formats = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
nb_execution_mode = os.environ.get("QUTIP_TWA_DOCS_EXECUTE", "force")
nb_execution_timeout = -1
nb_execution_raise_on_error = True
nb_execution_show_tb = True

autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_numpy_docstring = True
napoleon_google_docstring = False

html_theme = "alabaster"
html_title = f"qutip-twa {release}"
