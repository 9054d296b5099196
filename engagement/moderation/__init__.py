"""Writes to the record. Each module owns one kind of write; see record.py."""
