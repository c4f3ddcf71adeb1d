"""Moved to `domains.scripted.plans`, where plug-ins import it from; this name keeps older imports working."""

from domains.scripted.plans import *  # noqa: F401,F403
