-- Spatiotemporal companions (时空伴随) on the investigation desk (SQLite).

-- A person key of the location trace store (a phone, an app account, a data set's person id)
-- linked to a registered person. A key names one person; a person may have several keys.
CREATE TABLE trace_identities (
    id         INTEGER PRIMARY KEY,
    trace_key  TEXT NOT NULL UNIQUE,
    person_id  INTEGER NOT NULL REFERENCES people(id),
    -- 'manual' (linked by an investigator), 'companion' (registered when a companion was confirmed), 'demo'.
    origin     TEXT NOT NULL CHECK (origin IN ('manual','companion','demo')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX trace_identities_person ON trace_identities(person_id);

-- A companion the investigator confirmed: the exposure it became, and the match evidence as the
-- engine found it at confirmation (figures of the companion with the case's keys, the closest
-- pair, and the search parameters). One row per (case, companion key): confirming twice adds nothing.
CREATE TABLE companion_confirmations (
    id                 INTEGER PRIMARY KEY,
    case_id            INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    trace_key          TEXT NOT NULL,
    person_id          INTEGER NOT NULL REFERENCES people(id),
    exposure_id        INTEGER NOT NULL REFERENCES exposures(id),
    -- JSON array of the case's keys this companion met.
    case_keys          TEXT NOT NULL,
    encounters         INTEGER NOT NULL,
    first_at           TEXT NOT NULL,
    last_at            TEXT NOT NULL,
    min_distance_m     REAL NOT NULL,
    copresence_minutes REAL NOT NULL,
    where_lat          REAL NOT NULL,
    where_lon          REAL NOT NULL,
    where_at           TEXT NOT NULL,
    case_lat           REAL NOT NULL,
    case_lon           REAL NOT NULL,
    case_at            TEXT NOT NULL,
    radius_m           REAL NOT NULL,
    window_s           INTEGER NOT NULL,
    range_from         TEXT NOT NULL,
    range_to           TEXT NOT NULL,
    min_copresence_s   INTEGER NOT NULL,
    confirmed_by       TEXT NOT NULL,
    confirmed_at       TEXT NOT NULL,
    UNIQUE (case_id, trace_key)
);
CREATE INDEX companion_confirmations_person ON companion_confirmations(person_id);
