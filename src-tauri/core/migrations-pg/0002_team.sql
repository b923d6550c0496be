-- Team mode: several engines share this database.
-- One lease per account: only its holder refreshes the account. `epoch` only grows (a lease is
-- expired, never deleted, when released), so a refresh result is committed only while the
-- epoch it was taken under is still the account's: a stale holder is fenced off. Lease times
-- are the database's clock (now()), never an engine's.
CREATE TABLE leases (
    account_id BIGINT      PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    holder     TEXT        NOT NULL,
    epoch      BIGINT      NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- The team's engines, with their last heartbeat (`tokentray team status`).
CREATE TABLE engines (
    id         TEXT        PRIMARY KEY,
    host       TEXT        NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Which engine did each refresh (host/id).
ALTER TABLE refresh_history ADD COLUMN engine TEXT;
