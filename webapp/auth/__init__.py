"""Signing in and out, and staff accounts."""
