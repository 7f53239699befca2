"""Entry point of the ``qutip.family`` group, read by ``qutip.about()``."""

from . import __version__


def version():
    """Package name and version, as ``qutip.about()`` expects."""
    return "qutip-twa", __version__
