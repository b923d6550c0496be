-- Authorization servers' metadata, by issuer (OIDC discovery or RFC 8414), for accounts that
-- name only their issuer: kept with the time it was fetched, fetched again when a day old or
-- when an endpoint of it answers 404.
CREATE TABLE discovery (
    issuer     TEXT    PRIMARY KEY,
    document   TEXT    NOT NULL,
    fetched_at INTEGER NOT NULL
);
