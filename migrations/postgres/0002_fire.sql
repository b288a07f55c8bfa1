-- Forest fire danger (issue 6): weather stations, daily noon observations with the FWI System
-- indices computed from them, danger profiles (JSON, validated by firebreak-fwi), and which
-- station a jurisdiction takes its level from (PostgreSQL).
CREATE TABLE fire_stations (
    code              TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    lat               DOUBLE PRECISION NOT NULL,
    lon               DOUBLE PRECISION NOT NULL,
    elevation         DOUBLE PRECISION,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    start_ffmc        DOUBLE PRECISION NOT NULL DEFAULT 85,
    start_dmc         DOUBLE PRECISION NOT NULL DEFAULT 6,
    start_dc          DOUBLE PRECISION NOT NULL DEFAULT 15,
    ffmc_constant     DOUBLE PRECISION NOT NULL,
    lat_adjust        BOOLEAN NOT NULL DEFAULT TRUE,
    note              TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX fire_stations_jurisdiction ON fire_stations(jurisdiction_code);

-- One row per station and day: the noon weather and the indices carried day to day from the
-- station's start-up codes (or the previous day). `level` is under the profile `profile_id`.
CREATE TABLE fire_observations (
    station_code TEXT NOT NULL REFERENCES fire_stations(code),
    obs_date     DATE NOT NULL,
    temp         DOUBLE PRECISION NOT NULL,
    rh           DOUBLE PRECISION NOT NULL,
    wind         DOUBLE PRECISION NOT NULL,
    rain         DOUBLE PRECISION NOT NULL,
    ffmc         DOUBLE PRECISION NOT NULL,
    dmc          DOUBLE PRECISION NOT NULL,
    dc           DOUBLE PRECISION NOT NULL,
    isi          DOUBLE PRECISION NOT NULL,
    bui          DOUBLE PRECISION NOT NULL,
    fwi          DOUBLE PRECISION NOT NULL,
    dsr          DOUBLE PRECISION NOT NULL,
    level        BIGINT,
    profile_id   TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (station_code, obs_date)
);
CREATE INDEX fire_observations_date ON fire_observations(obs_date);

CREATE TABLE fire_profiles (
    id         TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    builtin    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- An explicit station for a county, township or village (else: nearest station for counties,
-- the county's station for townships and villages).
CREATE TABLE fire_assignments (
    jurisdiction_code TEXT PRIMARY KEY REFERENCES jurisdictions(code),
    station_code      TEXT NOT NULL REFERENCES fire_stations(code),
    assigned_by       TEXT NOT NULL,
    assigned_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX fire_assignments_station ON fire_assignments(station_code);
