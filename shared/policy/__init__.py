"""Deterministic rules with legal or money weight: time zones and calling windows, verification, disclosure,
negotiation bounds. Pure functions over plain data; the agent and the API can only act through them."""
