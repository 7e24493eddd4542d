"""Domain logic: plain functions and classes, no HTTP."""
