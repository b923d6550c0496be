-- When the refresh token itself expires, if the server said (Keycloak's refresh_expires_in,
-- GitHub's and Azure's refresh_token_expires_in): Tokentray warns before it does.
ALTER TABLE token_state ADD COLUMN refresh_expires_at INTEGER;
