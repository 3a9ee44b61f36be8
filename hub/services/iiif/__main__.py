"""`python -m echoes_hub.services.iiif`: run the IIIF service."""

from .app import main

main()
