"""`python -m echoes_hub.services.workshops`: run the workshops service."""

from .app import main

main()
