-- Investigation desk (流调溯源): cases, places, itineraries, exposures, transmission links,
-- contacts classified by a policy profile (SQLite).

-- A public line list's people have no identity document: they are registered with id_type
-- 'source_record' and id_number '<source>:<id in the source>' (see src/tracing/import.rs), so
-- UNIQUE(id_type, id_number) keeps one record per person for documented and undocumented alike.

-- Imported data sets and the jurisdiction node their places were created under.
CREATE TABLE tracing_sources (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    root_code  TEXT NOT NULL REFERENCES jurisdictions(code),
    licence    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE cases (
    id                     INTEGER PRIMARY KEY,
    person_id              INTEGER NOT NULL REFERENCES people(id),
    -- 'manual' for cases entered here; a tracing_sources code for imported ones.
    source                 TEXT NOT NULL,
    source_id              TEXT NOT NULL,
    classification         TEXT NOT NULL CHECK (classification IN ('confirmed','asymptomatic','suspected','probable')),
    how_found              TEXT CHECK (how_found IN ('clinic','lab','mass_testing','checkpoint','quarantine','contact_follow_up','other')),
    reporting_jurisdiction TEXT NOT NULL REFERENCES jurisdictions(code),
    home_jurisdiction      TEXT NOT NULL REFERENCES jurisdictions(code),
    exposure_start         TEXT,
    exposure_end           TEXT,
    onset_date             TEXT,
    sampling_date          TEXT,
    report_date            TEXT,
    diagnosis_date         TEXT,
    isolation_date         TEXT,
    outcome                TEXT CHECK (outcome IN ('recovered','died','in_care','unknown')),
    outcome_date           TEXT,
    severity               TEXT,
    cluster                TEXT,
    notes                  TEXT,
    -- Computed from the links (see tracing::refresh_chains): the smallest case id of the chain
    -- (NULL when the case is in no chain of two or more) and the generation inside it.
    chain_id               INTEGER,
    generation             INTEGER,
    investigator_id        INTEGER REFERENCES users(id),
    investigation_status   TEXT NOT NULL DEFAULT 'open' CHECK (investigation_status IN ('open','assigned','in_progress','completed')),
    assigned_at            TEXT,
    started_at             TEXT,
    completed_at           TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    version                INTEGER NOT NULL DEFAULT 1,
    UNIQUE (source, source_id)
);
CREATE INDEX cases_reporting ON cases(reporting_jurisdiction, report_date);
CREATE INDEX cases_report_date ON cases(report_date);
CREATE INDEX cases_person ON cases(person_id);
CREATE INDEX cases_chain ON cases(chain_id);

-- Classification history: one row per (re)classification, the first one at creation.
CREATE TABLE case_classifications (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    classification TEXT NOT NULL,
    at             TEXT NOT NULL,
    username       TEXT NOT NULL,
    reason         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_classifications_case ON case_classifications(case_id);

-- Places are shared: many cases' itineraries point at one place.
CREATE TABLE places (
    id                INTEGER PRIMARY KEY,
    source            TEXT NOT NULL,
    source_key        TEXT NOT NULL,
    name              TEXT NOT NULL,
    address           TEXT,
    kind              TEXT NOT NULL DEFAULT 'other',
    lat               REAL,
    lon               REAL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    UNIQUE (source, source_key)
);
CREATE INDEX places_jurisdiction ON places(jurisdiction_code);

CREATE TABLE itinerary (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    place_id   INTEGER NOT NULL REFERENCES places(id),
    -- Day-only visits have a start_date and no times.
    start_date TEXT NOT NULL,
    start_at   TEXT,
    end_at     TEXT,
    kind       TEXT NOT NULL DEFAULT 'other',
    source_key TEXT NOT NULL,
    UNIQUE (case_id, source_key)
);
CREATE INDEX itinerary_place ON itinerary(place_id);

-- One contact event between two people (person_b NULL: a person-at-place event).
CREATE TABLE exposures (
    id          INTEGER PRIMARY KEY,
    person_a    INTEGER NOT NULL REFERENCES people(id),
    person_b    INTEGER REFERENCES people(id),
    place_id    INTEGER REFERENCES places(id),
    kind        TEXT NOT NULL CHECK (kind IN ('household','workplace','transport','care','meal','gathering','companion','other')),
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL,
    protection  TEXT NOT NULL DEFAULT 'unknown' CHECK (protection IN ('none','partial','full','unknown')),
    note        TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX exposures_a ON exposures(person_a);
CREATE INDEX exposures_b ON exposures(person_b);

-- Infector -> infectee. The infector is named by its id in the source; infector_case_id is set
-- when that id is a case in the platform (NULL: an unobserved infector, kept).
CREATE TABLE transmission_links (
    id                 INTEGER PRIMARY KEY,
    source             TEXT NOT NULL,
    infector_source_id TEXT NOT NULL,
    infector_case_id   INTEGER REFERENCES cases(id),
    infectee_case_id   INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    certainty          TEXT NOT NULL CHECK (certainty IN ('confirmed','probable','possible')),
    route              TEXT,
    created_at         TEXT NOT NULL,
    UNIQUE (source, infector_source_id, infectee_case_id)
);
CREATE INDEX links_infector ON transmission_links(infector_case_id);
CREATE INDEX links_infectee ON transmission_links(infectee_case_id);

-- Contacts of a case, classified by the active policy profile (never typed by hand): rewritten by
-- every recomputation, except controlled_at, which the field records.
CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    person_id       INTEGER NOT NULL REFERENCES people(id),
    -- For a secondary contact: the close contact through whom they were exposed.
    via_person_id   INTEGER REFERENCES people(id),
    classification  TEXT NOT NULL CHECK (classification IN ('close','secondary','other')),
    rule_id         TEXT NOT NULL,
    rule_text       TEXT NOT NULL,
    profile         TEXT NOT NULL,
    first_exposure  TEXT,
    last_exposure   TEXT,
    identified_at   TEXT NOT NULL,
    controlled_at   TEXT,
    computed_at     TEXT NOT NULL,
    UNIQUE (case_id, person_id)
);
CREATE INDEX contacts_person ON contacts(person_id);
