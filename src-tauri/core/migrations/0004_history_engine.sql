-- Which engine did each refresh: team mode's engines write host/id here (PostgreSQL); on one
-- machine it stays empty.
ALTER TABLE refresh_history ADD COLUMN engine TEXT;
