"""Moved to `domains.scripted.wording`, where plug-ins import it from; this name keeps older imports working."""

from domains.scripted.wording import *  # noqa: F401,F403
