"""Situation reports, their updates and attachments, problem files, categories."""
