"""Harvest in: other projects' collections become twins of the commons.

A source is declared once (`sources`); `echoes harvest run` (`cli`) harvests it (`run`):
its protocol's module lists its records (`oaipmh`, with sickle; `iiif`, IIIF Presentation
3 and 2 collections and manifests, 2 upgraded by `iiif_upgrade`; `linkedart`, a IIIF
Change Discovery stream of Linked Art records, or one record; `sparql`, a CONSTRUCT
query's answer, read as Linked Art's CRM terms by the same reader), every answer bounded
(`fetch`), and each record becomes a twin with its provenance and raw record (`records`)
in the hub's harvest folder (`folder`: ``<state>/harvest``, in the data build's layout);
the twins service serves them beside the data build's (store.py reads both folders),
and users read them as a table per source in their Intake catalogs (`catalog`, in
``<state>/harvested``: the theme ``harvested`` of ``echoes.catalog()``).
"""
