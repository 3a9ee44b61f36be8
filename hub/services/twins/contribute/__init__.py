"""Contributed: a small institution's spreadsheet and folder of images become twins of
the commons (`echoes contribute`, on the hub's machine, like `echoes harvest`).

A sheet is read (`sheets`: CSV with its encoding and delimiter found, or Excel .xlsx),
its columns mapped to the twin's fields (`mapping`: suggested from the column names in
English, French and German, kept as an editable YAML file), every row checked
(`checks`: identifiers, titles, dates read as EDTF, dimensions with their units, images
named and present), and the collection published all or nothing (`publish`) into the
harvest folder with the harvest's own writers (records.twin_record,
HarvestFolder.write_collection, HarvestedCatalog), so that the twins service serves it
beside the data build and users find it in the catalog theme ``harvested``. The
published collection can also be written as a Frictionless Data Package (`package`).
"""
