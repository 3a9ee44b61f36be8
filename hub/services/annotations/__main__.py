"""`python -m echoes_hub.services.annotations`: run the annotation service."""

from .app import main

main()
