-- Tokentray's store. Times are Unix milliseconds (UTC). Secrets never appear here in
-- plaintext: `sealed_secrets.sealed` is nonce || XChaCha20-Poly1305 ciphertext, with the
-- account id and field name as associated data. Never edit this file once landed: add a
-- new migration instead.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    grant_kind    TEXT    NOT NULL,
    -- The grant's non-secret settings as JSON (secrets live in sealed_secrets).
    settings      TEXT    NOT NULL,
    -- Where the account came from: 'profile' (profile.toml) or 'user' (added in the app/CLI).
    source        TEXT    NOT NULL DEFAULT 'user',
    -- Keyed digest of the profile entry last imported, to tell an edited entry from an unchanged one.
    source_digest TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sealed_secrets (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- client_secret, refresh_token, password, token, secret, subject_token (settings), or
    -- current_access_token / current_refresh_token (the token state).
    field      TEXT    NOT NULL,
    sealed     BLOB    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, field)
);

CREATE TABLE token_state (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    status        TEXT    NOT NULL,
    token_type    TEXT,
    issued_at     INTEGER,
    expires_at    INTEGER,
    scope         TEXT,
    -- Non-secret JWT claims for display (JSON), when the access token is a JWT.
    claims        TEXT,
    error_code    TEXT,
    error_message TEXT,
    last_refresh  INTEGER
);

CREATE TABLE refresh_history (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER NOT NULL,
    -- ok | transient | permanent
    outcome       TEXT    NOT NULL,
    error_code    TEXT,
    error_message TEXT,
    http_status   INTEGER,
    latency_ms    INTEGER NOT NULL,
    expires_at    INTEGER
);
CREATE INDEX refresh_history_by_account ON refresh_history (account_id, started_at DESC, id DESC);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Expiry warnings already sent, so that a restart does not repeat them.
CREATE TABLE fired_warnings (
    account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token_expires_at INTEGER NOT NULL,
    threshold_secs   INTEGER NOT NULL,
    fired_at         INTEGER NOT NULL,
    PRIMARY KEY (account_id, token_expires_at, threshold_secs)
);

-- The vault's own records: a sealed check value (to know a key is the right one) and, in
-- passphrase mode, the Argon2id salt and parameters.
CREATE TABLE vault_meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
