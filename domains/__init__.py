"""Domains: the generic machinery here, each domain a plug-in (see `domains.plugin` and `domains.registry`)."""

DEFAULT_DOMAIN = "retail"  # the domain `cove run` and `cove worker` use without --domain
