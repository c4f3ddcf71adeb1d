"""cove's third domain: a mobile carrier's account service, registered as `telecom` in `cove.domains`."""
