-- The server stated no lifetime and the token is no JWT with `exp`: its expiry is the
-- account's assumed lifetime (default_expires_in), so it is still refreshed and never served
-- forever; the window and `status` say it is assumed.
ALTER TABLE token_state ADD COLUMN expiry_assumed INTEGER NOT NULL DEFAULT 0;
