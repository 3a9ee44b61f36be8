"""Harvest in: other projects' collections become twins of the commons.

A source is declared once (`sources`); `echoes harvest run` harvests it (`oaipmh`, with
sickle) into the hub's harvest folder (`folder`: ``<state>/harvest``, in the data build's
layout), each record a twin with its provenance and raw record (`records`); the twins
service serves them beside the data build's (store.py reads both folders). `cli` is the
administrator's command. OAI-PMH 2.0 (Dublin Core, EDM) only, so far.
"""
