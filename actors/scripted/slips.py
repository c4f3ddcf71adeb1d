"""Moved to `domains.scripted.slips`, where plug-ins import it from; this name keeps older imports working."""

from domains.scripted.slips import *  # noqa: F401,F403
