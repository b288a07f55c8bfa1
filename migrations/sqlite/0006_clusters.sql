-- Clusters (聚集性疫情): named events or places with the cases linked to them (SQLite); and the
-- column mappings users save as named import presets.

CREATE TABLE clusters (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ('household','workplace','school','care_home','hospital','restaurant','shop','gathering','transport','worship','community','other')),
    -- The place where it happened, when there is one (places are shared with itineraries).
    place_id          INTEGER REFERENCES places(id),
    -- Who sees it: the jurisdiction it belongs to (scoped like cases).
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    -- Day the cluster was identified.
    identified_on     TEXT,
    status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','closed')),
    notes             TEXT,
    -- 'manual', or the tracing_sources code of an import that named it (e.g. DS4C infection_case).
    source            TEXT NOT NULL DEFAULT 'manual',
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (jurisdiction_code, name)
);
CREATE INDEX clusters_jurisdiction ON clusters(jurisdiction_code);

CREATE TABLE cluster_cases (
    cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    case_id    INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    added_by   TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (cluster_id, case_id)
);
CREATE INDEX cluster_cases_case ON cluster_cases(case_id);

-- A user's column mapping for line lists, links or itineraries from files of their own
-- (CSV or XLSX): platform field -> column header, as JSON. Named, per kind of file.
CREATE TABLE import_mappings (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('linelist','links','itinerary')),
    -- cases.source of the records it imports (their ids are matched inside it).
    source     TEXT NOT NULL,
    columns    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (kind, name)
);

-- Fingerprint (SHA-256, hex) of the file row an imported case was last written from: a re-import
-- updates the case only when its row changed (see src/tracing/import.rs).
ALTER TABLE cases ADD COLUMN import_hash TEXT;
