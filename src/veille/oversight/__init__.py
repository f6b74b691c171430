"""Oversight of the platform: the audit trail read by admins."""
