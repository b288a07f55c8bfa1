-- Quarantine and health monitoring (隔离管控) with closed-loop transfer (闭环转运) (SQLite).
--
-- Facilities (quarantine hotels and sites) with rooms; transfer tasks that bring a person from a
-- pick-up address to a facility; stays (one per person per period under control: centralized
-- quarantine, home quarantine, home health monitoring, in the sequence the policy profile sets)
-- with their schedule of tests, daily health checks, samples and alerts; supply requests of people
-- under control; the log of profile changes applied to open schedules.

CREATE TABLE quarantine_facilities (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    -- hotel (quarantine hotel), site (purpose-built / requisitioned site), other
    kind              TEXT NOT NULL DEFAULT 'hotel' CHECK (kind IN ('hotel','site','other')),
    address           TEXT,
    lat               REAL,
    lon               REAL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    phone             TEXT,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),
    notes             TEXT,
    created_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX quarantine_facilities_jurisdiction ON quarantine_facilities(jurisdiction_code);

-- Rooms by building and floor. `status` is the room's state now: occupied while a stay is checked
-- in (set in the same transaction as check-in and release), cleaning after a release until staff
-- mark it free, out_of_service by hand.
CREATE TABLE quarantine_rooms (
    id          INTEGER PRIMARY KEY,
    facility_id INTEGER NOT NULL REFERENCES quarantine_facilities(id) ON DELETE CASCADE,
    building    TEXT NOT NULL DEFAULT '',
    floor       INTEGER NOT NULL,
    number      TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'single' CHECK (kind IN ('single','double')),
    beds        INTEGER NOT NULL DEFAULT 1 CHECK (beds BETWEEN 1 AND 4),
    status      TEXT NOT NULL DEFAULT 'free' CHECK (status IN ('free','occupied','cleaning','out_of_service')),
    updated_at  TEXT NOT NULL,
    UNIQUE (facility_id, building, number)
);
CREATE INDEX quarantine_rooms_status ON quarantine_rooms(facility_id, status);

-- Staff of a facility (a platform user or a named person with a phone).
CREATE TABLE quarantine_staff (
    id          INTEGER PRIMARY KEY,
    facility_id INTEGER NOT NULL REFERENCES quarantine_facilities(id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users(id),
    name        TEXT NOT NULL,
    duty        TEXT NOT NULL DEFAULT 'staff',
    phone       TEXT
);

-- A closed-loop transfer task: one person (or a household: same household_key) from a pick-up
-- address to a facility, in an escorted vehicle.
CREATE TABLE transfers (
    id                  INTEGER PRIMARY KEY,
    person_id           INTEGER NOT NULL REFERENCES people(id),
    household_key       TEXT,
    -- Why: the contact (investigation desk) the person was identified as, if any.
    contact_id          INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    control_kind        TEXT NOT NULL,
    pickup_address      TEXT NOT NULL,
    pickup_jurisdiction TEXT NOT NULL REFERENCES jurisdictions(code),
    facility_id         INTEGER NOT NULL REFERENCES quarantine_facilities(id),
    vehicle             TEXT,
    escort              TEXT,
    status              TEXT NOT NULL DEFAULT 'requested' CHECK (status IN ('requested','dispatched','picked_up','handed_over','cancelled')),
    -- When the person was identified as needing control (contact identified_at, or arrival).
    identified_at       TEXT NOT NULL,
    requested_at        TEXT NOT NULL,
    dispatched_at       TEXT,
    picked_up_at        TEXT,
    handed_over_at      TEXT,
    cancelled_reason    TEXT,
    notes               TEXT,
    created_by          TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX transfers_status ON transfers(status, facility_id);
CREATE INDEX transfers_person ON transfers(person_id);

-- A person under control for one period. The schedule (measures in sequence, test days, end date)
-- is computed from the policy profile (kind + start_date) and stored in quarantine_schedule; it is
-- recomputed when the profile or the dates change.
CREATE TABLE quarantine_stays (
    id                INTEGER PRIMARY KEY,
    person_id         INTEGER NOT NULL REFERENCES people(id),
    -- close-contact, secondary-contact, inbound, high-risk-area, medium-risk-area, low-risk-area
    control_kind      TEXT NOT NULL,
    profile           TEXT NOT NULL,
    profile_version   INTEGER NOT NULL,
    -- The day the count starts from (last exposure, arrival, leaving the risk area).
    start_date        TEXT NOT NULL,
    -- Computed: the last day under control (inclusive).
    end_date          TEXT NOT NULL,
    contact_id        INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    transfer_id       INTEGER REFERENCES transfers(id),
    -- Where the person is now: a room of a facility (centralized) or home (home measures).
    facility_id       INTEGER REFERENCES quarantine_facilities(id),
    room_id           INTEGER REFERENCES quarantine_rooms(id),
    home_jurisdiction TEXT NOT NULL REFERENCES jurisdictions(code),
    -- The village/community worker in charge of home measures.
    worker_user_id    INTEGER REFERENCES users(id),
    status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','released','converted','cancelled')),
    checked_in_at     TEXT,
    released_at       TEXT,
    -- A release before end_date or a refused rule overridden: who and why.
    override_by       TEXT,
    override_reason   TEXT,
    -- The case opened when a test was positive (status converted).
    case_id           INTEGER REFERENCES cases(id),
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX quarantine_stays_person ON quarantine_stays(person_id, status);
CREATE INDEX quarantine_stays_facility ON quarantine_stays(facility_id, status);
CREATE INDEX quarantine_stays_home ON quarantine_stays(home_jurisdiction, status);
CREATE INDEX quarantine_stays_end ON quarantine_stays(status, end_date);
-- At most one room per active stay, one active stay per room bed is checked in code (doubles).

-- The computed schedule of a stay: one row per measure segment ('measure') and per test day
-- ('test'); rewritten on recomputation (done rows are kept).
CREATE TABLE quarantine_schedule (
    id       INTEGER PRIMARY KEY,
    stay_id  INTEGER NOT NULL REFERENCES quarantine_stays(id) ON DELETE CASCADE,
    item     TEXT NOT NULL CHECK (item IN ('measure','test')),
    -- centralized-quarantine, home-quarantine, home-health-monitoring
    measure  TEXT NOT NULL,
    -- measure: first and last day; test: date = date_to.
    date_from TEXT NOT NULL,
    date_to   TEXT NOT NULL,
    -- Day number inside the measure (tests) or number of days (measures).
    day      INTEGER NOT NULL,
    done_at  TEXT
);
CREATE INDEX quarantine_schedule_stay ON quarantine_schedule(stay_id);
CREATE INDEX quarantine_schedule_due ON quarantine_schedule(item, date_to);

-- Health checks (temperature twice a day, symptoms).
CREATE TABLE health_checks (
    id            INTEGER PRIMARY KEY,
    stay_id       INTEGER NOT NULL REFERENCES quarantine_stays(id) ON DELETE CASCADE,
    at            TEXT NOT NULL,
    -- °C, 34.0..=43.0
    temperature_c REAL NOT NULL,
    symptoms      TEXT NOT NULL DEFAULT '',
    recorded_by   TEXT NOT NULL
);
CREATE INDEX health_checks_stay ON health_checks(stay_id, at);

-- Samples taken (on the schedule's test days or extra) and their results.
CREATE TABLE quarantine_samples (
    id          INTEGER PRIMARY KEY,
    stay_id     INTEGER NOT NULL REFERENCES quarantine_stays(id) ON DELETE CASCADE,
    schedule_id INTEGER REFERENCES quarantine_schedule(id) ON DELETE SET NULL,
    kind        TEXT NOT NULL DEFAULT 'throat_swab' CHECK (kind IN ('throat_swab','nasal_swab','antigen','other')),
    taken_at    TEXT NOT NULL,
    taken_by    TEXT NOT NULL,
    result      TEXT NOT NULL DEFAULT 'pending' CHECK (result IN ('pending','negative','positive','invalid')),
    result_at   TEXT,
    result_by   TEXT
);
CREATE INDEX quarantine_samples_stay ON quarantine_samples(stay_id);

-- Alerts raised by health checks and results: fever (≥ 37.3 °C), symptom, positive.
CREATE TABLE quarantine_alerts (
    id              INTEGER PRIMARY KEY,
    stay_id         INTEGER NOT NULL REFERENCES quarantine_stays(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('fever','symptom','positive')),
    at              TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT '',
    acknowledged_by TEXT,
    acknowledged_at TEXT
);
CREATE INDEX quarantine_alerts_open ON quarantine_alerts(acknowledged_at, stay_id);

-- Supply requests of people in quarantine or in static-management zones.
CREATE TABLE supply_requests (
    id                INTEGER PRIMARY KEY,
    person_id         INTEGER NOT NULL REFERENCES people(id),
    stay_id           INTEGER REFERENCES quarantine_stays(id) ON DELETE SET NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    kind              TEXT NOT NULL CHECK (kind IN ('necessities','medicine','medical_visit','hardship','other')),
    detail            TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','in_progress','fulfilled','cancelled')),
    requested_at      TEXT NOT NULL,
    handled_by        TEXT,
    fulfilled_at      TEXT,
    note              TEXT,
    created_by        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX supply_requests_status ON supply_requests(jurisdiction_code, status);

-- Profile changes applied to open schedules (after a confirmed preview).
CREATE TABLE schedule_recomputations (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    username     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    profile_from TEXT,
    profile_to   TEXT NOT NULL,
    stays        INTEGER NOT NULL,
    changed      INTEGER NOT NULL,
    detail       TEXT NOT NULL DEFAULT '{}'
);
