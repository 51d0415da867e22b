"""Hosting: what lets one server serve a class at once. The store of runs (a run is a value of
its data and settings, trained once per server and shared), the queue its trainings and other
heavy work take turns in, the cost of a run against the host's limits, and memory given back."""
