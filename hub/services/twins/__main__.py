"""`python -m echoes_hub.services.twins`: run the twins service."""

from .app import main

# Guarded: the query workers are started with multiprocessing's spawn, which imports the
# parent's main module in each worker.
if __name__ == "__main__":
    main()
