"""Moved to `domains.scripted.phrases`, where plug-ins import it from; this name keeps older imports working."""

from domains.scripted.phrases import *  # noqa: F401,F403
