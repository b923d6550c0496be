-- A narrower token obtained for one call (`tokentray token NAME --scope …`) is written to the
-- history beside the account's own refreshes: what was asked and how it was obtained.
ALTER TABLE refresh_history ADD COLUMN narrowed TEXT;
