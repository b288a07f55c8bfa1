-- Situation analytics: daily reported counts per jurisdiction, and reference serial-interval pairs (SQLite).
--
-- daily_counts: one row per jurisdiction and report date. new_imported / new_local split the day's new
-- infections (new_confirmed + new_asymptomatic): both NULL when the source does not split them.
CREATE TABLE daily_counts (
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    date              TEXT NOT NULL,
    new_confirmed     INTEGER NOT NULL CHECK (new_confirmed >= 0),
    new_asymptomatic  INTEGER CHECK (new_asymptomatic >= 0),
    new_imported      INTEGER CHECK (new_imported >= 0),
    new_local         INTEGER CHECK (new_local >= 0),
    source            TEXT NOT NULL,
    imported_at       TEXT NOT NULL,
    PRIMARY KEY (jurisdiction_code, date),
    CHECK ((new_imported IS NULL) = (new_local IS NULL)),
    CHECK (new_local IS NULL OR new_local + new_imported = new_confirmed + COALESCE(new_asymptomatic, 0))
);
CREATE INDEX daily_counts_date ON daily_counts(date);

-- si_pairs: infector -> infectee symptom-onset pairs of a named reference data set (e.g. 'ali2020').
CREATE TABLE si_pairs (
    id             INTEGER PRIMARY KEY,
    dataset        TEXT NOT NULL,
    line           INTEGER NOT NULL,
    infector_id    TEXT NOT NULL,
    infectee_id    TEXT NOT NULL,
    infector_onset TEXT,
    infectee_onset TEXT,
    household      INTEGER,
    UNIQUE (dataset, line)
);
