"""Moved to `domains.scripted.transcript`, where plug-ins import it from; this name keeps older imports working."""

from domains.scripted.transcript import *  # noqa: F401,F403
