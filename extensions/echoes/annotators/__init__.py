"""Software annotators: programs that propose annotations as `Software` creators.

Each acts for the hub user who runs it (the server records that) and gives each
proposal a confidence; a person then accepts or rejects it (`echoes.annotations.accept`).
"""
