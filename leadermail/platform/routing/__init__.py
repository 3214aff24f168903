"""Routing rules (派单目录): per tenant, ordered, applied to letters on arrival."""
