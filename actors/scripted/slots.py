"""Moved to `domains.scripted.slots`, where plug-ins import it from; this name keeps older imports working."""

from domains.scripted.slots import *  # noqa: F401,F403
