"""OpenAI's Responses API, stateless: `POST /v1/responses`."""
