"""The local one-process server (`archer serve`): the API under /api/v1, the agent host under /agent, and the
admin UI at /, with the embedded defaults. The composition root for laptops and end-to-end tests."""
