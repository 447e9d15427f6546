"""Adapters to the outside world's data services (the network lives here, never in ``geo``)."""
