"""The function app's adapters: the REST API (`api`), Twilio webhooks, and the Durable campaign functions.
Thin by rule: parsing, auth and wiring only; every business rule lives in `shared`."""
