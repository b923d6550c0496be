-- Every lend of a token and every refusal: which account, when, through what (token, exec,
-- git, kubectl, docker, env, dpop, window copy, tray copy, export), to which program, and what
-- came of it (lent, refused, denied, locked). Never the token. Trimmed like the history.
CREATE TABLE lends (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    via          TEXT    NOT NULL,
    program      TEXT    NOT NULL,
    program_path TEXT    NOT NULL,
    pid          INTEGER,
    on_behalf_of TEXT,
    outcome      TEXT    NOT NULL,
    engine       TEXT
);
CREATE INDEX lends_by_account ON lends (account_id, at DESC, id DESC);
