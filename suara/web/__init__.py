"""The web layer: REST API under /api/v1, server-rendered pages, the survey widget. It only translates."""
