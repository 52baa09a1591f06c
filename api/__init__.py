"""The REST API (FastAPI): the same data/ repositories and guarded services the pages use."""
