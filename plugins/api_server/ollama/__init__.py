"""Ollama's native API (`/api/...`): chat and generate (NDJSON streams), embeddings, the model
library (tags, show, pull, delete, copy), loaded models (ps) and the version."""
