"""The API contract: pydantic schema families per aggregate (`XCreate`, `XUpdate`, `XPublic`, `XsPublic`),
separate from the tables in `shared.db`. The admin UI's TypeScript types are generated from these."""
