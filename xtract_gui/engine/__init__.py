"""The migration engine: pipeline, job manager, store.  No Qt, no vendor SDK; adapters via ``ports``."""
