"""Seed data: the default configuration catalog, synthetic customers, and the idempotent demo seeder."""
