-- Forest fire danger (issue 6): weather stations, daily noon observations with the FWI System
-- indices computed from them, danger profiles (JSON, validated by firebreak-fwi), and which
-- station a jurisdiction takes its level from (SQLite).
CREATE TABLE fire_stations (
    code              TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    lat               REAL NOT NULL,
    lon               REAL NOT NULL,
    elevation         REAL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    start_ffmc        REAL NOT NULL DEFAULT 85,
    start_dmc         REAL NOT NULL DEFAULT 6,
    start_dc          REAL NOT NULL DEFAULT 15,
    ffmc_constant     REAL NOT NULL,
    lat_adjust        INTEGER NOT NULL DEFAULT 1,
    note              TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX fire_stations_jurisdiction ON fire_stations(jurisdiction_code);

-- One row per station and day: the noon weather and the indices carried day to day from the
-- station's start-up codes (or the previous day). `level` is under the profile `profile_id`.
CREATE TABLE fire_observations (
    station_code TEXT NOT NULL REFERENCES fire_stations(code),
    obs_date     TEXT NOT NULL,
    temp         REAL NOT NULL,
    rh           REAL NOT NULL,
    wind         REAL NOT NULL,
    rain         REAL NOT NULL,
    ffmc         REAL NOT NULL,
    dmc          REAL NOT NULL,
    dc           REAL NOT NULL,
    isi          REAL NOT NULL,
    bui          REAL NOT NULL,
    fwi          REAL NOT NULL,
    dsr          REAL NOT NULL,
    level        INTEGER,
    profile_id   TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (station_code, obs_date)
);
CREATE INDEX fire_observations_date ON fire_observations(obs_date);

CREATE TABLE fire_profiles (
    id         TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    builtin    INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- An explicit station for a county, township or village (else: nearest station for counties,
-- the county's station for townships and villages).
CREATE TABLE fire_assignments (
    jurisdiction_code TEXT PRIMARY KEY REFERENCES jurisdictions(code),
    station_code      TEXT NOT NULL REFERENCES fire_stations(code),
    assigned_by       TEXT NOT NULL,
    assigned_at       TEXT NOT NULL
);
CREATE INDEX fire_assignments_station ON fire_assignments(station_code);
