"""Notebook widgets for annotating: ``Annotator`` (regions of an image) and
``AnnotationTable`` (rows of a DataFrame), both on the hub's annotation service.

    from echoes.widgets import Annotator, AnnotationTable
    Annotator("images.coins")                        # a catalog entry's image
    AnnotationTable(df, source="archaeometry.pottery")
"""

from .annotator import Annotator
from .table import AnnotationTable

__all__ = ["AnnotationTable", "Annotator"]
