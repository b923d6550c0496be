-- Authorization servers' metadata, by issuer (see the SQLite migration of the same name).
CREATE TABLE discovery (
    issuer     TEXT   PRIMARY KEY,
    document   TEXT   NOT NULL,
    fetched_at BIGINT NOT NULL
);
