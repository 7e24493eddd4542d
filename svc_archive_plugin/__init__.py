"""Service-archive records management for paperless-ngx 3.x."""

__version__ = "0.1.0"
