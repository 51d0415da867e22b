"""Hosting: what lets one server serve a class at once. The store of runs (a run is a value of
its data and settings, trained once per server and shared) and the queue its trainings and other
heavy work take turns in. Optional below the tutorial: textclf's core never imports it."""
