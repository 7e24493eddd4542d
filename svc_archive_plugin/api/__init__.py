"""REST API under /api/svc_archive/, in paperless's conventions."""
