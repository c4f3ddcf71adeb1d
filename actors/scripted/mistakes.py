"""Moved to `domains.scripted.mistakes`, where plug-ins import it from; this name keeps older imports working."""

from domains.scripted.mistakes import *  # noqa: F401,F403
